"""Device paths and ptys: pyserial opens and configures, the event loop reads.

pyserial knows termios, baud rates and parity, so it opens the port; but its
``read`` waits in ``select()``, which fails once a descriptor number reaches
1024 (docs/architecture.md, "Serial I/O at scale"). Reads therefore go
through ``loop.add_reader`` and ``os.read`` on the port's descriptor, and
writes through ``os.write``.

The SAS wake-up bit is sent as parity (reference §1.3): mark parity for the
first byte, drain, space parity for the rest, in one write; the receive side
stays on space parity. ``tcdrain`` waits for the UART, so that sequence runs
in a worker thread; ports without wake-up (``wakeup="none"``) write directly.

A port is always opened without parity and only then switched to space
parity: opening must not depend on the termios state a previous process left
(a pty keeps CMSPAR without PARENB after a parity open, and the next open
that asks for space parity straight away fails with EINVAL). A port that
refuses mark/space parity is used without the wake-up bit, and
``wakeup_note`` says so for the status page and the log.

The port is opened with ``write_timeout=0``: pyserial's blocking ``write``
waits in ``select()`` after every chunk, which fails (ValueError) for
descriptors of 1024 and above.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import termios
from typing import Any

import serial

from protocols.line import Outgoing

from .base import Transport, TransportError


class FdTransport(Transport):
    def __init__(self, port: str, *, baud: int, wakeup: bool, serial_factory: Any = None) -> None:
        super().__init__(port)
        self.baud = baud
        self.wakeup = wakeup
        self._factory = serial_factory or serial.Serial
        self._serial: Any = None
        self._fd = -1
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        try:
            port = self._factory(
                self.port,
                baudrate=self.baud,
                parity=serial.PARITY_NONE,
                timeout=0,
                write_timeout=0,
                exclusive=True,
            )
        except (OSError, ValueError, termios.error, serial.SerialException) as exc:
            raise self._error(f"cannot open: {exc}") from exc
        if self.wakeup:
            try:
                port.parity = serial.PARITY_SPACE
            except (OSError, ValueError, termios.error, serial.SerialException) as exc:
                self.wakeup = False
                self.wakeup_note = (
                    f"the port refuses mark/space parity ({exc}): sending without the "
                    'wake-up bit; set wakeup = "none" for this line if that is intended'
                )
        self._serial = port
        self._fd = port.fileno()
        os.set_blocking(self._fd, False)
        port.reset_input_buffer()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._fd, self._readable)

    def _error(self, reason: str) -> TransportError:
        return TransportError(self.port, reason)

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return
        except OSError as exc:
            self._stop_reading()
            self._failed(f"read failed: {exc}")
            return
        if not data:
            self._stop_reading()
            self._failed("end of file: the port went away")
            return
        self._received(data)

    def _stop_reading(self) -> None:
        if self._loop is not None and self._fd >= 0:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._fd)

    async def write(self, frame: Outgoing) -> None:
        if self._failure is not None:
            raise self._failure
        try:
            if self.wakeup and frame.wakeup:
                await asyncio.to_thread(write_with_wakeup, self._serial, frame.data)
            else:
                self._write_all(frame.data)
        except (OSError, termios.error) as exc:  # tcdrain / tcsetattr raise termios.error
            self._failed(f"write failed: {exc}")
            raise self._error(f"write failed: {exc}") from exc
        self.bytes_out += len(frame.data)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # BlockingIOError (nobody drains the line) fails the port
            view = view[os.write(self._fd, view) :]

    async def close(self) -> None:
        self._stop_reading()
        if self._serial is not None:
            with contextlib.suppress(Exception):
                self._serial.close()
        self._serial = None
        self._fd = -1


def write_with_wakeup(port: Any, data: bytes) -> None:
    """First byte with mark parity, drain, then the rest with space parity in one write."""
    port.parity = serial.PARITY_MARK
    port.write(data[:1])
    port.flush()  # tcdrain: the byte has left the shift register
    port.parity = serial.PARITY_SPACE
    if len(data) > 1 and port.write(data[1:]) != len(data) - 1:
        raise OSError(errno.EIO, "short write: the rest of the frame did not fit")
