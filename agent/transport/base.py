"""What every transport offers the poller: write a frame, read until a deadline.

Received bytes are buffered as they arrive (from a reader callback, a
protocol or a thread) and ``read(deadline)`` returns them as soon as there
are any, or ``b""`` when the deadline passes; the poller's loop stays a
straight line. A port that fails (unplugged, closed by the peer) raises
``TransportError`` from ``read`` or ``write``; the poller then reopens it
with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod

from protocols.line import Outgoing


class TransportError(Exception):
    """The port failed; carries the port and the reason."""

    def __init__(self, port: str, reason: str) -> None:
        super().__init__(f"{port}: {reason}")
        self.port = port
        self.reason = reason


class Transport(ABC):
    """A serial line as seen by one poller."""

    def __init__(self, port: str) -> None:
        self.port = port
        self._buffer = bytearray()
        self._arrived = asyncio.Event()
        self._failure: TransportError | None = None
        self.bytes_in = 0
        self.bytes_out = 0
        self.wakeup_note = ""
        """Set when the port cannot send the configured wake-up bit, and why."""

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def write(self, frame: Outgoing) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    def _received(self, data: bytes) -> None:
        """Called by the I/O side (on the event loop) with each chunk."""
        self.bytes_in += len(data)
        self._buffer += data
        self._arrived.set()

    def _failed(self, reason: str) -> None:
        if self._failure is None:
            self._failure = TransportError(self.port, reason)
        self._arrived.set()

    def discard_input(self) -> bytes:
        """Drop what was received but not read (returns it, for counting)."""
        data = bytes(self._buffer)
        self._buffer.clear()
        self._arrived.clear()
        return data

    async def read(self, deadline: float) -> bytes:
        """Bytes received so far, waiting until ``deadline`` (loop time) for some."""
        waiting = not self._buffer and self._failure is None
        if waiting and deadline > asyncio.get_running_loop().time():
            # not wait_for: on Python 3.11 it swallows a cancellation that comes in
            # the same loop pass as the data, and the poller would never stop
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await self._arrived.wait()
        if self._buffer:
            return self.discard_input()
        if self._failure is not None:
            raise self._failure
        self._arrived.clear()
        return b""
