"""Stand-ins for a pyserial port (a recorder, one backed by a socket pair); a free TCP port."""

from __future__ import annotations

import os
import socket
from typing import Any

import serial


class RecordingSerial:
    """Records parity changes, writes and flushes (tcdrain), in order."""

    def __init__(self, *, fail_flush: BaseException | None = None, short: bool = False) -> None:
        self.calls: list[tuple[str, Any]] = []
        self._parity = serial.PARITY_SPACE
        self.fail_flush = fail_flush
        self.short = short

    @property
    def parity(self) -> str:
        return self._parity

    @parity.setter
    def parity(self, value: str) -> None:
        self._parity = value
        self.calls.append(("parity", value))

    def write(self, data: bytes) -> int:
        self.calls.append(("write", bytes(data)))
        return len(data) - 1 if self.short else len(data)

    def flush(self) -> None:
        self.calls.append(("flush", None))
        if self.fail_flush is not None:
            raise self.fail_flush


class SocketSerial(RecordingSerial):
    """A 'port' whose descriptor is one end of a socket pair; ``peer`` is the line."""

    def __init__(self, port: str, **settings: Any) -> None:
        super().__init__()
        self.port = port
        self.settings = settings
        self.ours, self.peer = socket.socketpair()
        self.closed = False

    def fileno(self) -> int:
        return self.ours.fileno()

    def reset_input_buffer(self) -> None:
        self.calls.append(("reset_input_buffer", None))

    def write(self, data: bytes) -> int:
        self.calls.append(("write", bytes(data)))
        return os.write(self.fileno(), data)

    def close(self) -> None:
        self.closed = True
        self.ours.close()
        self.peer.close()


def free_port() -> int:
    """A TCP port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
