"""open_transport picks the transport from the port's spelling (nothing is opened)."""

from __future__ import annotations

import pytest

from agent.transport import Transport, open_transport
from agent.transport.fd import FdTransport
from agent.transport.network import Rfc2217Transport, SocketTransport


@pytest.mark.parametrize(
    ("port", "kind"),
    [
        ("/dev/ttyS0", FdTransport),
        ("/dev/ttyUSB3", FdTransport),
        ("/dev/pts/7", FdTransport),
        ("/run/floor-sim/line-001", FdTransport),  # a symlink to a pty
        ("socket://10.0.0.5:4001", SocketTransport),
        ("socket://devsrv.local:4001", SocketTransport),
        ("rfc2217://10.0.0.5:2217", Rfc2217Transport),
        ("rfc2217://devsrv.local:2217?ign_set_control", Rfc2217Transport),
    ],
)
def test_open_transport_chooses_by_port(port: str, kind: type[Transport]) -> None:
    transport = open_transport(port, baud=19200, wakeup=True)
    assert type(transport) is kind
    assert transport.port == port


def test_device_paths_keep_baud_and_wakeup() -> None:
    parity = open_transport("/dev/ttyS0", baud=9600, wakeup=True)
    plain = open_transport("/dev/pts/3", baud=19200, wakeup=False)
    assert isinstance(parity, FdTransport)
    assert isinstance(plain, FdTransport)
    assert (parity.baud, parity.wakeup) == (9600, True)
    assert (plain.baud, plain.wakeup) == (19200, False)


def test_rfc2217_keeps_the_baud_rate() -> None:
    transport = open_transport("rfc2217://127.0.0.1:2217", baud=38400, wakeup=True)
    assert isinstance(transport, Rfc2217Transport)
    assert transport.baud == 38400
