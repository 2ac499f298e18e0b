"""SAS units to canonical units: credits to cents, and meter names (docs/events.md).

SAS counts most money in credits of the machine's accounting denomination
and some in cents (reference §3.0, §5); canonical events carry cents only.
Rules:

1. A credit amount becomes ``<key>_cents`` = credits x denomination, with
   ``currency`` beside it. When the denomination is unknown it stays
   ``<key>_credits`` and the data gets ``denomination_unknown: true``: the
   agent never guesses a denomination.
2. A meter (Table C-7 code) is named from ``protocols.sas.meter_codes.meter_name``
   with one suffix rule: money meters end in ``_cents`` (``coin_in_cents``;
   a credits meter loses its ``_credits`` word first: ``bills_credits`` ->
   ``bills_cents``), or ``_credits`` while the denomination is unknown;
   count meters keep their name (``games_played``); meters of unknown unit
   (reserved codes, 7F payback) keep ``meter_0xNN`` and the value as read.
   Three credit meters are renamed where the rule would be ambiguous or
   collide: 0C ``credit_meter``, 15 ``total_ticket_in``, 16 ``total_ticket_out``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from protocols.sas.meter_codes import is_cents, meter_name


class MeterUnit(Enum):
    """The unit of a Table C-7 meter (reference §5)."""

    CREDITS = "credits"
    CENTS = "cents"
    COUNT = "count"
    UNKNOWN = "unknown"


def _spans(*spans: tuple[int, int]) -> frozenset[int]:
    return frozenset(code for low, high in spans for code in range(low, high + 1))


CREDIT_METERS = _spans(
    (0x00, 0x04), (0x08, 0x0C), (0x15, 0x24), (0x27, 0x34), (0x3F, 0x3F), (0x58, 0x58),
    (0x63, 0x63), (0x6E, 0x6E), (0xFA, 0xFF),
)  # fmt: skip
"""Meters counted in credits of the accounting denomination (reference §5, unit "cr")."""

COUNT_METERS = _spans(
    (0x05, 0x07), (0x11, 0x14), (0x25, 0x26), (0x35, 0x39), (0x3E, 0x3E), (0x40, 0x57),
    (0x59, 0x62), (0x64, 0x6D), (0x6F, 0x78),
) | frozenset(
    code for code in (*range(0x81, 0x94), *range(0xA1, 0xB2), *range(0xB9, 0xBE)) if code % 2
)  # fmt: skip
"""Meters that count things (games, bills, tickets): reference §5, unit "#"."""

_CREDIT_BASES = {0x0C: "credit_meter", 0x15: "total_ticket_in", 0x16: "total_ticket_out"}


def meter_unit(code: int) -> MeterUnit:
    """The unit of meter ``code``; reserved and unlisted codes are ``UNKNOWN``."""
    if is_cents(code):
        return MeterUnit.CENTS
    if code in CREDIT_METERS:
        return MeterUnit.CREDITS
    if code in COUNT_METERS:
        return MeterUnit.COUNT
    return MeterUnit.UNKNOWN


def _strip(name: str, suffix: str) -> str:
    return name[: -len(suffix)] if name.endswith(suffix) else name


def meter_key(code: int, *, denomination_known: bool = True) -> str:
    """The canonical name of meter ``code`` (rule 2 of the module docstring)."""
    unit = meter_unit(code)
    if unit is MeterUnit.CENTS:
        return _strip(meter_name(code), "_cents") + "_cents"
    if unit is MeterUnit.CREDITS:
        base = _CREDIT_BASES.get(code) or _strip(meter_name(code), "_credits")
        return base + ("_cents" if denomination_known else "_credits")
    return meter_name(code)


def canonical_meters(meters: Mapping[int, int], denomination_cents: int | None) -> dict[str, int]:
    """Meters by canonical name, money in cents (credits when the denomination is unknown)."""
    known = denomination_cents is not None
    out: dict[str, int] = {}
    for code in sorted(meters):
        value = meters[code]
        if denomination_cents is not None and meter_unit(code) is MeterUnit.CREDITS:
            value *= denomination_cents
        out[meter_key(code, denomination_known=known)] = value
    return out


@dataclass(frozen=True, slots=True)
class Money:
    """Writes amounts into event data in cents (rule 1 of the module docstring)."""

    denomination_cents: int | None
    currency: str

    def credits(self, data: dict[str, Any], key: str, credits: int) -> None:
        """Put a credit amount as ``<key>_cents``, or ``<key>_credits`` and a flag."""
        if self.denomination_cents is None:
            data[f"{key}_credits"] = credits
            data["denomination_unknown"] = True
        else:
            self.cents(data, key, credits * self.denomination_cents)

    def cents(self, data: dict[str, Any], key: str, cents: int) -> None:
        """Put an amount already in cents as ``<key>_cents`` with the currency."""
        data[f"{key}_cents"] = cents
        data["currency"] = self.currency
