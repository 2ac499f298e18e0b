"""Serial device servers: raw TCP (``socket://``) and RFC 2217 (``rfc2217://``).

A ``socket://host:port`` line is a plain TCP stream (what pyserial's socket
URL handler speaks), read by an asyncio protocol. RFC 2217 adds telnet
option negotiation that pyserial implements with its own threads, so that
transport runs pyserial in a reader thread and hands chunks to the loop.
Neither carries the wake-up bit: framing is by content and timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any
from urllib.parse import urlsplit

import serial

from protocols.line import Outgoing

from .base import Transport, TransportError


class SocketTransport(Transport):
    def __init__(self, port: str) -> None:
        super().__init__(port)
        try:
            parts = urlsplit(port)
            host, number = parts.hostname, parts.port
        except ValueError:  # a port that is not a number, a broken [IPv6] host
            host = number = None
        if host is None or number is None:
            raise TransportError(port, "expected socket://host:port")
        self._host, self._port = host, number
        self._transport: asyncio.Transport | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_connection(
                lambda: _Stream(self), self._host, self._port
            )
        except OSError as exc:
            raise TransportError(self.port, f"cannot connect: {exc}") from exc
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    async def write(self, frame: Outgoing) -> None:
        if self._failure is not None:
            raise self._failure
        if self._transport is None or self._transport.is_closing():
            raise TransportError(self.port, "not connected")
        self._transport.write(frame.data)
        self.bytes_out += len(frame.data)

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._transport = None


class _Stream(asyncio.Protocol):
    def __init__(self, owner: SocketTransport) -> None:
        self.owner = owner

    def data_received(self, data: bytes) -> None:
        self.owner._received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._failed(f"connection lost: {exc or 'closed by the peer'}")


class Rfc2217Transport(Transport):
    """pyserial's RFC 2217 client, read by a thread (its API is blocking)."""

    def __init__(self, port: str, *, baud: int) -> None:
        super().__init__(port)
        self.baud = baud
        self._serial: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    async def open(self) -> None:
        try:
            self._serial = await asyncio.to_thread(
                serial.serial_for_url, self.port, baudrate=self.baud, timeout=0.05
            )
        except (OSError, ValueError, serial.SerialException) as exc:
            raise TransportError(self.port, f"cannot open: {exc}") from exc
        loop = asyncio.get_running_loop()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._reader, args=(loop,), name=f"rfc2217 {self.port}", daemon=True
        )
        self._thread.start()

    def _reader(self, loop: asyncio.AbstractEventLoop) -> None:
        while not self._stop.is_set():
            try:
                # read(n) waits out its whole timeout unless n bytes come: wait for one
                # byte only, then take what is already there
                data = self._serial.read(1)
                if data:
                    data += self._serial.read(self._serial.in_waiting)
            except (OSError, serial.SerialException) as exc:
                loop.call_soon_threadsafe(self._failed, f"read failed: {exc}")
                return
            if data:
                loop.call_soon_threadsafe(self._received, data)

    async def write(self, frame: Outgoing) -> None:
        if self._failure is not None:
            raise self._failure
        try:
            await asyncio.to_thread(self._serial.write, frame.data)
        except (OSError, serial.SerialException) as exc:
            raise TransportError(self.port, f"write failed: {exc}") from exc
        self.bytes_out += len(frame.data)

    async def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 1.0)
        if self._serial is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._serial.close)
        self._serial = None
