"""Long-poll tables: request lengths (reference §3.15), poll types, reply shapes (§3)."""

from __future__ import annotations

import pytest

from protocols.sas.commands import (
    BROADCAST_COMMANDS,
    REPLY_SHAPES,
    ROM_SIGNATURE_REPLY_LENGTH,
    VARIABLE_REQUESTS,
    LongPoll,
    PollType,
    ReplyKind,
    poll_type,
    request_length,
)


def _span(first: int, last: int) -> list[int]:
    return list(range(first, last + 1))


# Reference §3.15, "total bytes including CRC", transcribed by hand.
REQUEST_LENGTH_TABLE: dict[int, list[int]] = {
    2: [
        *_span(0x0F, 0x20), *_span(0x2A, 0x2C), *_span(0x31, 0x4A), 0x4F, 0x51,
        *_span(0x54, 0x57), 0x70, 0x7E, 0x85, 0x87, 0x8E, 0x8F, 0x90, *_span(0xB1, 0xB3),
    ],
    4: [*_span(0x01, 0x07), 0x0A, 0x0B, 0x94],
    5: [0x0E, 0x4D, 0x50, 0xA8, 0xAA],
    6: [0x21, 0x2D, 0x2E, 0x52, 0x53, 0x83, *_span(0x95, 0x9A), 0xA0, 0xA4, 0xB5, 0xB6],
    7: [0x09],
    8: [0x74, 0xB4],
    9: [0x08, 0x8A, 0x77],
    10: [0x4C],
    11: [0x7F, 0x80],
    13: [0x58, 0x8C],
    15: [0x8B],
}  # fmt: skip
REFERENCE_VARIABLE = [
    0x2F, 0x6E, 0x6F, 0xAF, 0x71, 0x72, 0x73, 0x75, 0x76, *_span(0x7A, 0x7D), 0x86, 0xB0, 0xB7,
]  # fmt: skip
FIXED_CASES = [(c, n) for n, commands in REQUEST_LENGTH_TABLE.items() for c in commands]


@pytest.mark.parametrize(("command", "length"), FIXED_CASES, ids=lambda v: f"{v:02X}")
def test_request_length_matches_reference_table_3_15(command: int, length: int) -> None:
    assert request_length(command) == length


@pytest.mark.parametrize("command", REFERENCE_VARIABLE, ids=lambda c: f"{c:02X}")
def test_variable_requests_have_no_fixed_length(command: int) -> None:
    assert command in VARIABLE_REQUESTS
    assert request_length(command) is None
    assert poll_type(command, 1) is PollType.S


def test_variable_request_set_is_exactly_the_reference_list() -> None:
    assert frozenset(REFERENCE_VARIABLE) == VARIABLE_REQUESTS


def test_unlisted_commands_default_to_type_r_like_the_egm_table() -> None:
    assert request_length(0xC5) == 2
    assert poll_type(0xC5, 1) is PollType.R


@pytest.mark.parametrize("command", REQUEST_LENGTH_TABLE[2], ids=lambda c: f"{c:02X}")
def test_two_byte_requests_are_type_r(command: int) -> None:
    assert poll_type(command, 1) is PollType.R


@pytest.mark.parametrize(
    ("command", "length"),
    [(c, n) for c, n in FIXED_CASES if n != 2],
    ids=lambda v: f"{v:02X}",
)
def test_requests_with_data_or_crc_are_type_s(command: int, length: int) -> None:
    assert length > 2
    assert poll_type(command, 0x7F) is PollType.S


@pytest.mark.parametrize("command", [0x01, 0x1A, 0x7F, 0x2F], ids=lambda c: f"{c:02X}")
def test_anything_to_address_0_is_type_g(command: int) -> None:
    assert poll_type(command, 0) is PollType.G


def test_broadcast_capable_commands_are_the_reference_list() -> None:
    assert frozenset({0x75, 0x7A, 0x7B, 0x7C, 0x7D, 0x7F, 0x80, 0x86}) == BROADCAST_COMMANDS


# Reply frame lengths given in reference §3.3-3.9 (addr + cmd + data + CRC).
REFERENCE_REPLY_LENGTHS = {
    0x0F: 28, 0x19: 24, 0x1C: 36, 0x1E: 28, 0x18: 8, 0x2D: 10, 0x52: 22, 0x1F: 24, 0x53: 26,
    0x1B: 24, 0x48: 10, 0x4D: 35, 0x7E: 11, 0xA0: 12, 0x57: 10, 0x51: 6, 0x55: 6, 0x94: 5,
    0xA8: 5, 0x3D: 13, 0x50: 14, 0x58: 5,
    **dict.fromkeys([*_span(16, 23), 26, 32, 42, 43, 44, *_span(49, 60)], 8),
    **dict.fromkeys(_span(62, 69), 8),
    **dict.fromkeys([70, 71, 73, 74], 8),
}  # fmt: skip


@pytest.mark.parametrize(
    ("command", "length"), sorted(REFERENCE_REPLY_LENGTHS.items()), ids=lambda v: f"{v:02X}"
)
def test_fixed_reply_lengths_match_the_reference_layouts(command: int, length: int) -> None:
    shape = REPLY_SHAPES[command]
    assert shape.kind is ReplyKind.FIXED
    assert shape.length == length


@pytest.mark.parametrize(
    "command",
    [0x2F, 0x54, 0x56, 0x6F, 0xAF, 0x70, 0x71, 0x72, 0x73, 0x74],
    ids=lambda c: f"{c:02X}",
)
def test_replies_with_a_length_byte_are_variable(command: int) -> None:
    assert REPLY_SHAPES[command].kind is ReplyKind.VARIABLE


@pytest.mark.parametrize(
    "command", [0x01, 0x02, 0x06, 0x07, 0x0E, 0x21, 0x7F, 0x8A], ids=lambda c: f"{c:02X}"
)
def test_control_polls_are_answered_by_an_ack(command: int) -> None:
    assert REPLY_SHAPES[command].kind is ReplyKind.ACK


def test_rom_signature_reply_to_a_general_poll_is_six_bytes() -> None:
    assert ROM_SIGNATURE_REPLY_LENGTH == 6  # addr 21 sig(2) CRC(2)


def test_named_long_polls_have_their_reference_codes() -> None:
    assert LongPoll.CURRENT_CREDITS.value == 0x1A
    assert LongPoll.EXTENDED_METERS.value == 0x6F
    assert LongPoll.EXTENDED_METERS_ALT.value == 0xAF
    assert LongPoll.AFT_LOCK_STATUS.value == 0x74
