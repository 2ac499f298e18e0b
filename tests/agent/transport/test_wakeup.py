"""write_with_wakeup: mark parity for the address byte, drain, space parity for the rest."""

from __future__ import annotations

import errno

import pytest
import serial

from agent.transport.fd import write_with_wakeup
from protocols.sas.crc import with_crc
from protocols.sas.requests import general_poll, read

from .fakes import RecordingSerial


def test_long_poll_is_mark_write_drain_space_then_the_rest_in_one_write() -> None:
    port = RecordingSerial()
    frame = read(0x01, 0x54).encode().data  # type R: address, command
    write_with_wakeup(port, frame)
    assert port.calls == [
        ("parity", serial.PARITY_MARK),
        ("write", frame[:1]),
        ("flush", None),
        ("parity", serial.PARITY_SPACE),
        ("write", frame[1:]),
    ]


def test_long_frame_rest_goes_out_in_a_single_write() -> None:
    port = RecordingSerial()
    frame = with_crc(bytes([0x05, 0x2F, 0x04, 0x00, 0x00, 0x0C, 0x1B]))
    write_with_wakeup(port, frame)
    writes = [value for name, value in port.calls if name == "write"]
    assert writes == [frame[:1], frame[1:]]
    assert len(writes[1]) == len(frame) - 1
    # the drain separates the two writes, and the switch to space parity follows it
    names = [name for name, _ in port.calls]
    assert names.index("flush") == names.index("write") + 1


def test_general_poll_is_mark_write_drain_space_and_nothing_else() -> None:
    port = RecordingSerial()
    write_with_wakeup(port, general_poll(0x01).data)
    assert port.calls == [
        ("parity", serial.PARITY_MARK),
        ("write", b"\x81"),
        ("flush", None),
        ("parity", serial.PARITY_SPACE),
    ]
    assert port.parity == serial.PARITY_SPACE  # receive side stays on space


def test_a_short_write_of_the_rest_is_an_error() -> None:
    port = RecordingSerial(short=True)
    with pytest.raises(OSError, match="short write") as caught:
        write_with_wakeup(port, read(0x01, 0x54).encode().data)
    assert caught.value.errno == errno.EIO
