"""Serial transports: the only code in floor-agent that opens a port.

``open_transport(port, baud, wakeup)`` returns a ``Transport`` for a device
path or pty (``FdTransport``), a ``socket://host:port`` URL
(``SocketTransport``) or an ``rfc2217://host:port`` URL
(``Rfc2217Transport``). All of them read without ``select()`` so one agent
serves hundreds of lines (docs/architecture.md, "Serial I/O at scale").
"""

from .base import Transport, TransportError
from .open import open_transport

__all__ = ["Transport", "TransportError", "open_transport"]
