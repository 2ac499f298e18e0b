"""Host requests: general polls and long polls, framed by type (reference §1.5, §3).

Expected bytes are built field by field from the reference layouts, with the
CRC of the independent bitwise implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.sas import requests
from protocols.sas.commands import PollType
from protocols.sas.errors import LocalProtocolError
from protocols.sas.frames import PollFrame
from protocols.sas.requests import LongPollRequest

from .independent import framed, reference_crc
from .strategies import PROPERTY_SETTINGS, addresses


@pytest.mark.parametrize(("address", "byte"), [(1, 0x81), (0x7F, 0xFF), (12, 0x8C)])
def test_general_poll_is_one_byte_0x80_or_address_with_wakeup(address: int, byte: int) -> None:
    frame = requests.general_poll(address)
    assert frame == PollFrame(data=bytes([byte]), wakeup=True)
    assert frame.address == address


def test_sync_poll_is_a_general_poll_to_address_0() -> None:
    assert requests.sync_poll().data == b"\x80"
    assert requests.sync_poll().address == 0
    assert requests.sync_poll(12).data == b"\x8c"


@pytest.mark.parametrize("address", [-1, 0x80, 0xFF], ids=["negative", "128", "255"])
def test_general_poll_rejects_addresses_outside_0_to_127(address: int) -> None:
    with pytest.raises(LocalProtocolError):
        requests.general_poll(address)


def test_type_r_read_is_address_and_command_without_crc() -> None:
    request = requests.read(1, 0x1A)
    assert request.poll_type is PollType.R
    assert request.encode() == PollFrame(data=b"\x01\x1a")
    assert request.encode().address == 1


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        pytest.param(requests.enable_play(3), framed(3, 0x02), id="02-enable-play"),
        pytest.param(requests.disable_play(3), framed(3, 0x01), id="01-disable-play"),
        pytest.param(
            requests.real_time_events(3, enabled=True), framed(3, 0x0E, 0x01), id="0E-rte-on"
        ),
        pytest.param(
            requests.real_time_events(3, enabled=False), framed(3, 0x0E, 0x00), id="0E-rte-off"
        ),
        pytest.param(
            requests.rom_signature(3, 0x1234), framed(3, 0x21, 0x34, 0x12), id="21-seed-lsb-first"
        ),
        pytest.param(
            requests.selected_meters(3, 1, [0x00, 0x0D]),
            framed(3, 0x2F, 0x04, 0x00, 0x01, 0x00, 0x0D),
            id="2F-len-is-2-plus-codes",
        ),
        pytest.param(
            requests.extended_meters(3, 0, [0x000C, 0x00A0]),
            framed(3, 0x6F, 0x06, 0x00, 0x00, 0x0C, 0x00, 0xA0, 0x00),
            id="6F-two-byte-codes-lsb-first",
        ),
        pytest.param(
            requests.for_game(3, 0x53, 12), framed(3, 0x53, 0x00, 0x12), id="53-game-in-bcd"
        ),
        pytest.param(
            requests.set_date_time(0, datetime(2024, 2, 29, 23, 5, 9)),
            framed(0, 0x7F, 0x02, 0x29, 0x20, 0x24, 0x23, 0x05, 0x09),
            id="7F-broadcast-to-address-0",
        ),
        pytest.param(requests.handpay_reset(3), framed(3, 0x94), id="94-handpay-reset"),
        pytest.param(
            requests.handpay_reset_method(3, to_credit_meter=True),
            framed(3, 0xA8, 0x01),
            id="A8-reset-to-credit-meter",
        ),
        pytest.param(
            requests.handpay_reset_method(3, to_credit_meter=False),
            framed(3, 0xA8, 0x00),
            id="A8-standard-handpay",
        ),
        pytest.param(requests.validation_info(3), framed(3, 0x4D, 0x00), id="4D-next-unread"),
        pytest.param(
            requests.validation_info(3, requests.VALIDATION_PEEK),
            framed(3, 0x4D, 0xFF),
            id="4D-peek",
        ),
        pytest.param(
            requests.aft_lock_status(3, requests.AFT_LOCK_REQUEST, 0x03, 500),
            framed(3, 0x74, 0x00, 0x03, 0x05, 0x00),
            id="74-lock-with-bcd-timeout",
        ),
        pytest.param(
            requests.aft_lock_status(3, requests.AFT_LOCK_CANCEL),
            framed(3, 0x74, 0x80, 0x00, 0x00, 0x00),
            id="74-cancel-lock",
        ),
        pytest.param(
            requests.aft_interrogate(3), framed(3, 0x72, 0x02, 0xFF, 0x00), id="72-interrogate"
        ),
        pytest.param(
            requests.aft_interrogate(3, 0x81, status_only=True),
            framed(3, 0x72, 0x02, 0xFE, 0x81),
            id="72-status-only-relative-index",
        ),
    ],
)
def test_builder_encodes_to_the_reference_layout(
    request_: LongPollRequest, expected: bytes
) -> None:
    frame = request_.encode()
    assert frame.data == expected
    assert frame.wakeup
    assert reference_crc(frame.data) == 0


def test_broadcast_long_poll_is_type_g_with_crc() -> None:
    request = requests.set_date_time(0, datetime(2025, 1, 1))
    assert request.poll_type is PollType.G
    assert request.encode().address == 0


def test_alternate_extended_meters_poll_is_AF() -> None:
    assert requests.extended_meters(1, 0, [0x0C], alternate=True).command == 0xAF
    assert requests.extended_meters(1, 0, [0x0C]).command == 0x6F


def test_data_on_a_type_r_poll_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="type R"):
        LongPollRequest(address=1, command=0x1A, data=b"\x00")


def test_a_type_r_command_cannot_be_broadcast() -> None:
    with pytest.raises(LocalProtocolError):
        LongPollRequest(address=0, command=0x1A)


@pytest.mark.parametrize(
    ("command", "data"),
    [(0x0E, b""), (0x0E, b"\x00\x01"), (0x74, b"\xff\x00"), (0x7F, bytes(8)), (0x02, b"\x00")],
    ids=["0E-short", "0E-long", "74-short", "7F-long", "02-with-data"],
)
def test_wrong_data_length_for_a_fixed_length_poll_is_refused(command: int, data: bytes) -> None:
    with pytest.raises(LocalProtocolError, match="data bytes"):
        LongPollRequest(address=1, command=command, data=data)


@pytest.mark.parametrize("address", [-1, 0x80, 0xFF], ids=["negative", "128", "255"])
def test_long_poll_address_above_127_is_refused(address: int) -> None:
    with pytest.raises(LocalProtocolError, match="address"):
        LongPollRequest(address=address, command=0x1A)


@pytest.mark.parametrize("command", [-1, 0x100], ids=["negative", "256"])
def test_long_poll_command_outside_a_byte_is_refused(command: int) -> None:
    with pytest.raises(LocalProtocolError, match="command"):
        LongPollRequest(address=1, command=command)


def test_variable_poll_data_longer_than_a_length_byte_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="255"):
        LongPollRequest(address=1, command=0x72, data=bytes(256))


@pytest.mark.parametrize("count", [0, 11], ids=["no-codes", "eleven-codes"])
def test_selected_meters_takes_1_to_10_codes(count: int) -> None:
    with pytest.raises(LocalProtocolError):
        requests.selected_meters(1, 0, list(range(count)))


@pytest.mark.parametrize("count", [0, 13], ids=["no-codes", "thirteen-codes"])
def test_extended_meters_takes_1_to_12_codes(count: int) -> None:
    with pytest.raises(LocalProtocolError):
        requests.extended_meters(1, 0, list(range(count)))


@PROPERTY_SETTINGS
@given(
    addresses,
    st.integers(min_value=0, max_value=9999),
    st.lists(st.integers(min_value=0, max_value=0xFF), min_size=1, max_size=10),
)
def test_selected_meters_frame_is_addr_2F_len_game_codes_crc(
    address: int, game: int, codes: list[int]
) -> None:
    data = requests.selected_meters(address, game, codes).encode().data
    game_bcd = bytes.fromhex(f"{game:04d}")
    assert data == framed(address, 0x2F, 2 + len(codes), game_bcd, codes)


@PROPERTY_SETTINGS
@given(
    addresses,
    st.integers(min_value=0, max_value=9999),
    st.lists(st.integers(min_value=0, max_value=0xFFFF), min_size=1, max_size=12),
)
def test_extended_meters_frame_has_len_2_plus_2_per_code(
    address: int, game: int, codes: list[int]
) -> None:
    data = requests.extended_meters(address, game, codes).encode().data
    assert data[2] == 2 + 2 * len(codes)
    assert len(data) == 5 + data[2]
    assert reference_crc(data) == 0


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: requests.selected_meters(1, 0, [0x100]), id="2F-code-above-FF"),
        pytest.param(lambda: requests.extended_meters(1, 0, [0x10000]), id="6F-code-above-FFFF"),
        pytest.param(lambda: requests.rom_signature(1, 0x10000), id="21-seed-above-FFFF"),
        pytest.param(lambda: requests.validation_info(1, 0x100), id="4D-function-above-FF"),
        pytest.param(lambda: requests.aft_lock_status(1, lock_code=0x100), id="74-lock-above-FF"),
        pytest.param(
            lambda: requests.aft_lock_status(1, conditions=-1), id="74-conditions-negative"
        ),
        pytest.param(lambda: requests.aft_interrogate(1, 0x100), id="72-index-above-FF"),
    ],
)
def test_out_of_range_builder_arguments_are_local_errors(build: Callable[[], object]) -> None:
    with pytest.raises(LocalProtocolError):
        build()
