"""Byte transport between a host and simulated lines: ptys and TCP ports.

The only I/O of the simulator. Each line gets a pseudo-terminal (the
simulator holds the master; a stable symlink in the run directory points at
the slave, which the host opens like a serial port) or a TCP port (what a
serial device server looks like). Reads go through ``loop.add_reader`` on
the raw descriptor, never through ``select()``, so hundreds of lines fit in
one process (docs/architecture.md, "Serial I/O at scale": select() fails at
descriptor 1024).

Replies are written after their delay with ``loop.call_later``; a reply the
pty cannot take (nobody reading, buffer full) is dropped and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import tty
from pathlib import Path

from .wire import Reply, SimulatedLine


class Link:
    """Common part: feed a line with what the host wrote, schedule the replies."""

    def __init__(self, line: SimulatedLine, loop: asyncio.AbstractEventLoop, origin: float) -> None:
        self.line = line
        self.loop = loop
        self.origin = origin
        self.dropped_writes = 0
        self.bytes_in = 0

    @property
    def port(self) -> str:
        raise NotImplementedError

    def now(self) -> float:
        return self.loop.time() - self.origin

    def received(self, data: bytes) -> None:
        self.bytes_in += len(data)
        self.send(self.line.receive(data, self.now()))

    def tick(self) -> None:
        self.send(self.line.tick(self.now()))

    def send(self, replies: list[Reply]) -> None:
        for reply in replies:
            if reply.delay > 0:
                self.loop.call_later(reply.delay, self.write, reply.data)
            else:
                self.write(reply.data)

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class PtyLink(Link):
    """A line on a pseudo-terminal; ``path`` becomes a symlink to its slave."""

    def __init__(
        self, line: SimulatedLine, loop: asyncio.AbstractEventLoop, origin: float, path: Path
    ) -> None:
        super().__init__(line, loop, origin)
        self.path = path
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line discipline: bytes pass untouched
        os.set_blocking(self._master, False)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        path.symlink_to(os.ttyname(self._slave))
        loop.add_reader(self._master, self._readable)

    @property
    def port(self) -> str:
        return str(self.path)

    def _readable(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            return
        except OSError as exc:  # EIO while no process has the slave open
            if exc.errno == errno.EIO:
                return
            raise
        if data:
            self.received(data)

    def write(self, data: bytes) -> None:
        try:
            os.write(self._master, data)
        except (BlockingIOError, OSError):
            self.dropped_writes += 1

    def close(self) -> None:
        self.loop.remove_reader(self._master)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class TcpLink(Link):
    """A line behind a TCP port; one host connection at a time (like a device server)."""

    def __init__(self, line: SimulatedLine, loop: asyncio.AbstractEventLoop, origin: float) -> None:
        super().__init__(line, loop, origin)
        self.server: asyncio.Server | None = None
        self.active: _TcpConnection | None = None
        self._address = ""

    async def listen(self, host: str, port: int) -> None:
        self.server = await self.loop.create_server(lambda: _TcpConnection(self), host, port)
        bound = self.server.sockets[0].getsockname()
        self._address = f"socket://{bound[0]}:{bound[1]}"

    @property
    def port(self) -> str:
        return self._address

    def write(self, data: bytes) -> None:
        active = self.active
        if active is None or active.transport is None or active.transport.is_closing():
            self.dropped_writes += 1
            return
        active.transport.write(data)

    def close(self) -> None:
        if self.active is not None and self.active.transport is not None:
            self.active.transport.close()
        if self.server is not None:
            self.server.close()


class _TcpConnection(asyncio.Protocol):
    def __init__(self, link: TcpLink) -> None:
        self.link = link
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if self.link.active is not None:  # a second host on one line: refuse it
            transport.close()
            return
        self.transport = transport
        self.link.active = self

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link.active is self:
            self.link.active = None

    def data_received(self, data: bytes) -> None:
        if self.link.active is self:
            self.link.received(data)
