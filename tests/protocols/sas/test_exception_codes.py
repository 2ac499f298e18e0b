"""The general-poll exception table against reference §4, transcribed here by hand."""

from __future__ import annotations

import pytest

from protocols.sas.exception_codes import (
    EXCEPTIONS,
    IDLE_CODES,
    ExceptionCode,
    lookup,
    rte_data_length,
)


def _codes(*spans: int | tuple[int, int]) -> list[int]:
    out: list[int] = []
    for span in spans:
        if isinstance(span, tuple):
            out += range(span[0], span[1] + 1)
        else:
            out.append(span)
    return out


# Every row of reference §4 (ranges such as "41-45" and "11 / 12" expanded).
REFERENCE_CODES = _codes(
    0x00, (0x11, 0x25), (0x27, 0x2F), (0x31, 0x57), (0x59, 0x5A), 0x5F, 0x60, 0x61,
    (0x66, 0x72), (0x74, 0x7C), (0x7E, 0x8C), 0x8E, 0x8F, (0x98, 0x9B), 0x9E, 0x9F,
    (0xA0, 0xA2),
)  # fmt: skip
# "Not assigned in any source we saw" (reference §4, last paragraph).
UNASSIGNED_CODES = _codes(
    (0x01, 0x10), 0x26, 0x30, 0x58, (0x5B, 0x5E), (0x62, 0x65), 0x73, 0x7D, 0x8D,
    (0x90, 0x97), (0x9C, 0x9D), (0xA3, 0xFF),
)  # fmt: skip
# Column Pri/Q = "Pri" (3D/3E are priority unless validation is off).
PRIORITY_CODES = frozenset(
    _codes(0x3D, 0x3E, 0x3F, 0x51, 0x52, 0x56, 0x57, (0x67, 0x6D), 0x6F, 0x70, 0x8F)
)
UNCERTAIN_PRIORITY = frozenset({0x55})  # "Q/P" with a warning in the reference
RTE_DATA_LENGTHS = {0x4F: 6, 0x7C: 10, 0x7E: 8, 0x7F: 4, 0x88: 2, 0x8A: 4, 0x8B: 1, 0x8C: 2}


def test_reference_transcription_covers_every_byte_exactly_once() -> None:
    assert sorted(REFERENCE_CODES + UNASSIGNED_CODES) == list(range(0x100))


def test_table_has_exactly_the_codes_of_the_reference() -> None:
    assert sorted(EXCEPTIONS) == sorted(REFERENCE_CODES)


@pytest.mark.parametrize("code", REFERENCE_CODES, ids=lambda c: f"0x{c:02X}")
def test_every_reference_code_has_its_priority_flag_and_rte_data_length(code: int) -> None:
    info = lookup(code)
    assert info is not None
    assert info.code == code
    assert info.name
    assert info.category
    if code not in UNCERTAIN_PRIORITY:
        assert info.priority is (code in PRIORITY_CODES)
    assert info.rte_data_length == RTE_DATA_LENGTHS.get(code, 0)
    assert rte_data_length(code) == info.rte_data_length


@pytest.mark.parametrize(
    ("code", "length"), sorted(RTE_DATA_LENGTHS.items()), ids=lambda v: f"{v:02X}"
)
def test_rte_events_with_data_carry_the_reference_byte_count(code: int, length: int) -> None:
    assert rte_data_length(code) == length


@pytest.mark.parametrize("code", UNASSIGNED_CODES, ids=lambda c: f"0x{c:02X}")
def test_unknown_codes_look_up_to_none_and_have_no_rte_data(code: int) -> None:
    assert lookup(code) is None
    assert rte_data_length(code) == 0


def test_idle_codes_are_00_and_1F() -> None:
    assert frozenset({0x00, 0x1F}) == IDLE_CODES


def test_named_codes_are_in_the_table_with_their_reference_value() -> None:
    assert ExceptionCode.HANDPAY_PENDING.value == 0x51
    assert ExceptionCode.GAME_STARTED.value == 0x7E
    assert ExceptionCode.BUFFER_OVERFLOW.value == 0x70
    for code in ExceptionCode:
        assert lookup(code) is not None, code
