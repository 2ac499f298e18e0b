"""Units: credits to cents, and the canonical meter names (reference §3.0, §5)."""

from __future__ import annotations

import pytest

from agent.lines.sas.units import (
    COUNT_METERS,
    CREDIT_METERS,
    MeterUnit,
    Money,
    canonical_meters,
    meter_key,
    meter_unit,
)
from protocols.sas.meter_codes import CENTS_METERS, Meter


def test_unit_sets_are_disjoint() -> None:
    assert not CREDIT_METERS & COUNT_METERS
    assert not CREDIT_METERS & CENTS_METERS
    assert not COUNT_METERS & CENTS_METERS


@pytest.mark.parametrize(
    ("code", "unit"),
    [
        (0x00, MeterUnit.CREDITS),
        (0x05, MeterUnit.COUNT),
        (0x0B, MeterUnit.CREDITS),
        (0x0D, MeterUnit.CENTS),
        (0x11, MeterUnit.COUNT),
        (0x24, MeterUnit.CREDITS),
        (0x25, MeterUnit.COUNT),
        (0x3A, MeterUnit.UNKNOWN),
        (0x3F, MeterUnit.CREDITS),
        (0x47, MeterUnit.COUNT),
        (0x7F, MeterUnit.UNKNOWN),
        (0x80, MeterUnit.CENTS),
        (0x81, MeterUnit.COUNT),
        (0xA0, MeterUnit.CENTS),
        (0xAF, MeterUnit.COUNT),
        (0xB2, MeterUnit.UNKNOWN),
        (0xB8, MeterUnit.CENTS),
        (0xBD, MeterUnit.COUNT),
        (0xFA, MeterUnit.CREDITS),
    ],
)
def test_meter_units_follow_the_reference(code: int, unit: MeterUnit) -> None:
    assert meter_unit(code) is unit


@pytest.mark.parametrize(
    ("code", "known", "unknown"),
    [
        (0x00, "coin_in_cents", "coin_in_credits"),
        (0x04, "cancelled_cents", "cancelled_credits"),
        (0x05, "games_played", "games_played"),
        (0x0B, "bills_cents", "bills_credits"),
        (0x0C, "credit_meter_cents", "credit_meter_credits"),
        (0x0D, "ticket_in_cents", "ticket_in_cents"),
        (0x15, "total_ticket_in_cents", "total_ticket_in_credits"),
        (0x16, "total_ticket_out_cents", "total_ticket_out_credits"),
        (0x19, "meter_0x19_cents", "meter_0x19_credits"),
        (0x24, "total_drop_cents", "total_drop_credits"),
        (0x7F, "meter_0x7f", "meter_0x7f"),
        (0x82, "meter_0x82_cents", "meter_0x82_cents"),
        (0xA0, "aft_cashable_in_cents", "aft_cashable_in_cents"),
    ],
)
def test_meter_names(code: int, known: str, unknown: str) -> None:
    assert meter_key(code) == known
    assert meter_key(code, denomination_known=False) == unknown


@pytest.mark.parametrize("known", [True, False])
def test_meter_names_are_unique_over_every_code(known: bool) -> None:
    names = [meter_key(code, denomination_known=known) for code in range(0x100)]
    assert len(set(names)) == len(names)


def test_money_meters_end_in_cents_and_counts_do_not() -> None:
    for code in range(0x100):
        name = meter_key(code)
        unit = meter_unit(code)
        assert name.endswith("_cents") == (unit in (MeterUnit.CREDITS, MeterUnit.CENTS))
        assert not name.endswith("_credits")


def test_core_meters_have_real_names() -> None:
    for code in Meter:
        assert not meter_key(code).startswith("meter_0x")


def test_canonical_meters_convert_credits_only() -> None:
    meters = {0x00: 1_000, 0x05: 42, 0x0D: 2_500, 0x7F: 9_512}
    assert canonical_meters(meters, 5) == {
        "coin_in_cents": 5_000,
        "games_played": 42,
        "ticket_in_cents": 2_500,
        "meter_0x7f": 9_512,
    }
    assert canonical_meters(meters, None) == {
        "coin_in_credits": 1_000,
        "games_played": 42,
        "ticket_in_cents": 2_500,
        "meter_0x7f": 9_512,
    }


@pytest.mark.parametrize(("denomination", "cents"), [(1, 250), (5, 1_250), (100, 25_000)])
def test_money_converts_credits_with_the_denomination(denomination: int, cents: int) -> None:
    data: dict[str, object] = {}
    Money(denomination, "USD").credits(data, "win", 250)
    assert data == {"win_cents": cents, "currency": "USD"}


def test_money_keeps_credits_and_flags_an_unknown_denomination() -> None:
    data: dict[str, object] = {}
    money = Money(None, "EUR")
    money.credits(data, "win", 250)
    assert data == {"win_credits": 250, "denomination_unknown": True}
    money.cents(data, "amount", 500)
    assert data == {
        "win_credits": 250,
        "denomination_unknown": True,
        "amount_cents": 500,
        "currency": "EUR",
    }
