"""Meter codes of Table C-7 (reference §5) and the LP 2F size table.

LP 2F replies carry no size byte, so the parser must know each meter's
width: 4 BCD bytes, or 5 for the cents meters (0D-10, and the even codes of
80-93, A0-B1 and B8-BD). LP 6F/AF replies carry their own size. Vendors
differ, so callers may pass their own size function.
"""

from __future__ import annotations

from enum import IntEnum


class Meter(IntEnum):
    """The accounting meters the agent reads (reference §5, core set)."""

    COIN_IN = 0x00
    COIN_OUT = 0x01
    JACKPOT = 0x02
    HANDPAID_CANCELLED_CREDITS = 0x03
    CANCELLED_CREDITS = 0x04
    GAMES_PLAYED = 0x05
    GAMES_WON = 0x06
    GAMES_LOST = 0x07
    BILLS_CREDITS = 0x0B
    CURRENT_CREDITS = 0x0C
    TICKET_IN_CENTS = 0x0D
    TICKET_OUT_CENTS = 0x0E
    MACHINE_PAID_PROGRESSIVE = 0x1D
    MACHINE_PAID_EXTERNAL_BONUS = 0x1E
    ATTENDANT_PAID_PROGRESSIVE = 0x20
    ATTENDANT_PAID_EXTERNAL_BONUS = 0x21
    TOTAL_DROP = 0x24
    AFT_CASHABLE_IN_CENTS = 0xA0
    AFT_CASHABLE_OUT_CENTS = 0xB8


CORE_METERS: tuple[Meter, ...] = tuple(Meter)

CENTS_METERS = frozenset(
    [0x0D, 0x0E, 0x0F, 0x10]
    + [c for c in range(0x80, 0x94) if c % 2 == 0]
    + [c for c in range(0xA0, 0xB2) if c % 2 == 0]
    + [c for c in range(0xB8, 0xBE) if c % 2 == 0]
)
"""Meters whose unit is cents rather than credits."""


def lp2f_size(code: int) -> int:
    """Width in BCD bytes of meter ``code`` in an LP 2F reply."""
    return 5 if code in CENTS_METERS else 4


def is_cents(code: int) -> bool:
    """True when meter ``code`` counts cents (else credits or a count)."""
    return code in CENTS_METERS


METER_NAMES: dict[int, str] = {
    0x00: "coin_in",
    0x01: "coin_out",
    0x02: "jackpot",
    0x03: "handpaid_cancelled_credits",
    0x04: "cancelled_credits",
    0x05: "games_played",
    0x06: "games_won",
    0x07: "games_lost",
    0x08: "coin_acceptor_credits",
    0x09: "hopper_paid_credits",
    0x0A: "coins_to_drop_credits",
    0x0B: "bills_credits",
    0x0C: "current_credits",
    0x0D: "ticket_in_cents",
    0x0E: "ticket_out_cents",
    0x0F: "restricted_ticket_in_cents",
    0x10: "restricted_ticket_out_cents",
    0x15: "ticket_in_credits",
    0x16: "ticket_out_credits",
    0x17: "electronic_in_credits",
    0x18: "electronic_out_credits",
    0x1C: "machine_paid_paytable_win",
    0x1D: "machine_paid_progressive",
    0x1E: "machine_paid_external_bonus",
    0x1F: "attendant_paid_paytable_win",
    0x20: "attendant_paid_progressive",
    0x21: "attendant_paid_external_bonus",
    0x22: "total_won",
    0x23: "total_handpaid",
    0x24: "total_drop",
    0x25: "games_since_power_reset",
    0x26: "games_since_door_closed",
    0xA0: "aft_cashable_in_cents",
    0xB8: "aft_cashable_out_cents",
}


def meter_name(code: int) -> str:
    """A stable snake_case name for ``code`` (``meter_0xNN`` when unnamed)."""
    return METER_NAMES.get(code, f"meter_0x{code:02x}")
