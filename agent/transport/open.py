"""Choose the transport for a configured port."""

from __future__ import annotations

from .base import Transport
from .fd import FdTransport
from .network import Rfc2217Transport, SocketTransport


def open_transport(port: str, *, baud: int, wakeup: bool) -> Transport:
    """A transport (not yet opened) for a device path, pty, socket:// or rfc2217:// URL."""
    if port.startswith("socket://"):
        return SocketTransport(port)
    if port.startswith("rfc2217://"):
        return Rfc2217Transport(port, baud=baud)
    return FdTransport(port, baud=baud, wakeup=wakeup)
