"""Meter codes (Table C-7) and the LP 2F size table (reference §5)."""

from __future__ import annotations

import pytest

from protocols.sas.meter_codes import CORE_METERS, Meter, is_cents, lp2f_size, meter_name

# Reference §5, column "Unit / 2F size": the cents meters, 5 BCD bytes in LP 2F.
FIVE_BYTE_METERS = frozenset(
    [
        *(0x0D, 0x0E, 0x0F, 0x10),
        *range(0x80, 0x93, 2),  # 80, 82, ... 92
        *range(0xA0, 0xB1, 2),  # A0, A2, ... B0
        *range(0xB8, 0xBD, 2),  # B8, BA, BC
    ]
)


def test_the_five_byte_set_is_the_one_the_reference_lists() -> None:
    assert {0x92, 0xB0, 0xBC} <= FIVE_BYTE_METERS
    assert not {0x93, 0xB1, 0xB2, 0xBD, 0x11} & FIVE_BYTE_METERS
    assert len(FIVE_BYTE_METERS) == 4 + 10 + 9 + 3


@pytest.mark.parametrize("code", range(0x100), ids=lambda c: f"0x{c:02X}")
def test_lp2f_size_is_5_for_cents_meters_and_4_otherwise(code: int) -> None:
    expected = 5 if code in FIVE_BYTE_METERS else 4
    assert lp2f_size(code) == expected
    assert is_cents(code) is (code in FIVE_BYTE_METERS)


@pytest.mark.parametrize(
    ("meter", "code"),
    [
        (Meter.COIN_IN, 0x00),
        (Meter.COIN_OUT, 0x01),
        (Meter.JACKPOT, 0x02),
        (Meter.CANCELLED_CREDITS, 0x04),
        (Meter.GAMES_PLAYED, 0x05),
        (Meter.CURRENT_CREDITS, 0x0C),
        (Meter.TICKET_IN_CENTS, 0x0D),
        (Meter.TOTAL_DROP, 0x24),
        (Meter.AFT_CASHABLE_IN_CENTS, 0xA0),
        (Meter.AFT_CASHABLE_OUT_CENTS, 0xB8),
    ],
    ids=lambda v: v.name if isinstance(v, Meter) else f"0x{v:02X}",
)
def test_core_meters_have_their_table_c7_codes(meter: Meter, code: int) -> None:
    assert meter == code
    assert meter in CORE_METERS


def test_meter_names_are_stable_and_unnamed_codes_get_a_hex_name() -> None:
    assert meter_name(0x0C) == "current_credits"
    assert meter_name(0x24) == "total_drop"
    assert meter_name(0x7F) == "meter_0x7f"
