"""A fake ``NOTIFY_SOCKET``: an AF_UNIX datagram socket that records what arrives, and when.

Bound to a path (``FakeNotifySocket.bind_path``) or an abstract name
(``bind_abstract``), as systemd does. ``watch(loop)`` stamps each datagram
with the loop's time as it arrives; ``drain()`` takes the waiting ones
without a loop.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

_names = itertools.count()


@dataclass(frozen=True, slots=True)
class Datagram:
    at: float
    fields: dict[str, str]


@dataclass(slots=True)
class FakeNotifySocket:
    sock: socket.socket
    value: str
    """What ``NOTIFY_SOCKET`` is set to."""
    received: list[Datagram] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def bind_path(cls, directory: Path) -> Self:
        path = directory / "notify"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(path))
        sock.setblocking(False)
        return cls(sock, str(path))

    @classmethod
    def bind_abstract(cls) -> Self:
        name = f"floor-agent-test-{os.getpid()}-{next(_names)}"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind("\0" + name)
        sock.setblocking(False)
        return cls(sock, "@" + name)

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        loop.add_reader(self.sock.fileno(), self.drain)

    def drain(self) -> list[Datagram]:
        at = self._loop.time() if self._loop is not None else 0.0
        new = []
        while True:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                break
            lines = data.decode().split("\n")
            new.append(Datagram(at, dict(line.split("=", 1) for line in lines if line)))
        self.received += new
        return new

    def times(self, key: str, value: str | None = None) -> list[float]:
        """When datagrams with ``key`` (set to ``value``, if given) arrived."""
        return [
            d.at
            for d in self.received
            if key in d.fields and (value is None or d.fields[key] == value)
        ]

    def statuses(self) -> list[str]:
        return [d.fields["STATUS"] for d in self.received if "STATUS" in d.fields]

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()
