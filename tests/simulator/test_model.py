"""The simulated machine (simulator/model.py, state.py, meters.py, activity.py, incidents.py).

Examples first: configuration, each activity and its books, host actions,
scripted incidents, power, the meters SAS reads. Then properties over any
seed and any sequence of calls: the books balance after every step, meters
only grow (until a RAM clear), games start and end in turn, the same calls
give the same events, and the events do not depend on the time step.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from simulator import activity
from simulator.activity import ActivityRates
from simulator.events import Door, Kind, MachineEvent, Tilt
from simulator.incidents import INCIDENT_KINDS, parse_incident
from simulator.meters import BILL_DOLLARS, Meters, rollover
from simulator.model import MachineModel
from simulator.state import Handpay, HandpayKind, LastBill, TicketIn

QUIET = ActivityRates(
    games_per_minute=0,
    bills_per_hour=0,
    door_openings_per_hour=0,
    handpays_per_hour=0,
    tickets_per_hour=0,
    ticket_ins_per_hour=0,
    player_cards_per_hour=0,
    tilts_per_hour=0,
    power_cycles_per_hour=0,
    in_play_at_start=0,
)
BUSY = ActivityRates(
    games_per_minute=10,
    bills_per_hour=10,
    door_openings_per_hour=3,
    handpays_per_hour=1,
    tickets_per_hour=4,
    ticket_ins_per_hour=3,
    player_cards_per_hour=3,
    tilts_per_hour=2,
    power_cycles_per_hour=1,
)
PLAYING = QUIET.model_copy(update={"games_per_minute": 10.0})


def machine(rates: ActivityRates = QUIET, seed: int = 1, **options: Any) -> MachineModel:
    return MachineModel("sim-001", random.Random(seed), rates=rates, **options)


def kinds(events: Iterable[MachineEvent]) -> list[Kind]:
    return [e.kind for e in events]


def run(model: MachineModel, until: float, step: float = 1.0) -> list[MachineEvent]:
    """Advance to ``until`` in steps, checking the books after each one."""
    events: list[MachineEvent] = []
    now = model.now
    while now < until:
        now = min(now + step, until)
        events += model.advance(now)
        assert model.accounting_errors() == []
    return events


def until_kind(model: MachineModel, kind: Kind, limit: float = 3600.0) -> MachineEvent:
    """Advance in small steps until ``kind`` happens; returns that event."""
    while model.now < limit:
        for e in model.advance(model.now + 0.25):
            if e.kind is kind:
                return e
    raise AssertionError(f"no {kind} before {limit}")


# --- configuration -----------------------------------------------------------------


def test_identity_and_initial_state() -> None:
    model = MachineModel("sim-007", random.Random(0), asset_number=7, serial="SN7")
    assert (model.machine_id, model.serial, model.asset_number) == ("sim-007", "SN7", 7)
    assert (model.denomination_cents, model.max_bet, model.sas_version) == (1, 5, "602")
    assert model.rates == ActivityRates()
    assert model.powered and model.enabled and model.bill_acceptor_enabled and model.in_service
    assert model.printer_ok and model.doors_open == frozenset() and model.tilts == frozenset()
    assert (model.credits, model.handpay, model.ticket_in, model.card) == (0, None, None, None)
    assert model.last_bill is None and list(model.tickets) == []
    assert MachineModel("sim-008", random.Random(0)).serial == "sim-008"


@pytest.mark.parametrize(
    "options",
    [
        {"denomination_cents": 0},
        {"max_bet": 0},
        {"handpay_limit_cents": 0},
        {"ticket_limit_cents": -1},
        {"game_seconds": 0},
        {"escrow_seconds": -1},
        {"attendant_seconds": -1},
    ],
)
def test_rejects_impossible_configuration(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        machine(**options)


def test_rates_are_checked() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        ActivityRates(games_per_minute=-1)
    with pytest.raises(ValidationError, match="Extra inputs"):
        ActivityRates.model_validate({"games_per_hour": 1.0})


def test_time_may_not_go_backwards() -> None:
    model = machine()
    model.advance(10.0)
    with pytest.raises(ValueError, match="backwards"):
        model.advance(9.0)


def test_a_machine_with_all_rates_zero_stays_silent() -> None:
    assert machine().advance(10 * 3600.0) == []


def test_a_busy_machine_does_everything_and_keeps_its_books() -> None:
    events = run(machine(BUSY, seed=3), 4 * 3600.0, step=0.7)
    scripted_only = {
        Kind.METERS_RESET,
        Kind.OPTIONS_CHANGED,
        Kind.CASHBOX_REMOVED,
        Kind.CASHBOX_INSTALLED,
    }
    assert set(kinds(events)) == set(Kind) - scripted_only
    assert all(a.at <= b.at for a, b in itertools.pairwise(events))


# --- money ---------------------------------------------------------------------


def test_bill_raises_credits_drop_and_note_count() -> None:
    model = machine()
    (accepted,) = model.incident("bill", 1.0, dollars=20)
    assert (accepted.kind, accepted.at, accepted.data) == (Kind.BILL_ACCEPTED, 1.0, {"dollars": 20})
    model.incident("bill", 2.0, dollars=20)
    model.incident("bill", 3.0)  # $20 by default
    m = model.meters
    assert model.credits == m.bills_credits == m.total_drop == 6000
    assert m.bills_by_dollars == {20: 3}
    assert model.last_bill == LastBill(dollars=20, count=3)
    assert model.accounting_errors() == []


def test_bill_that_is_not_whole_credits_is_returned() -> None:
    model = machine(denomination_cents=500)
    assert model.incident("bill", 1.0, dollars=1) == []
    assert kinds(model.incident("bill", 1.0, dollars=5)) == [Kind.BILL_ACCEPTED]
    assert model.credits == 1


@pytest.mark.parametrize(
    "block",
    [
        lambda m: m.set_bill_acceptor(False, 0.5),
        lambda m: m.set_enabled(False, 0.5),
        lambda m: m.incident("door_open", 0.5, door="belly"),
        lambda m: m.incident("tilt", 0.5, tilt="bill_jam", seconds=60.0),
        lambda m: m.incident("handpay", 0.5),
    ],
)
def test_bills_and_tickets_need_the_machine_in_service(block: Any) -> None:
    model = machine()
    block(model)
    assert model.incident("bill", 1.0, dollars=5) == []
    assert model.incident("ticket_in", 1.0) == []
    assert model.credits == 0


def test_ticket_out_cashes_out_every_credit() -> None:
    model = machine()
    model.incident("bill", 1.0, dollars=20)
    pressed, printed = model.incident("ticket_out", 2.0)
    assert (pressed.kind, printed.kind) == (Kind.CASHOUT_PRESSED, Kind.TICKET_PRINTED)
    assert printed.data["amount_cents"] == 2000
    validation = printed.data["validation"]
    assert isinstance(validation, str) and len(validation) == 16 and validation.isdigit()
    m = model.meters
    assert (model.credits, m.cancelled_credits, m.ticket_out_cents, m.tickets_out) == (
        0,
        2000,
        2000,
        1,
    )
    (record,) = model.tickets
    assert (record.amount_cents, record.validation, record.at, record.sequence) == (
        2000,
        validation,
        2.0,
        1,
    )
    assert model.incident("ticket_out", 3.0) == []  # nothing left
    model.incident("bill", 4.0, dollars=1)
    model.incident("ticket_out", 5.0)
    assert [r.sequence for r in model.tickets] == [1, 2]


def test_ticket_in_waits_in_escrow_then_is_redeemed() -> None:
    model = machine(escrow_seconds=2.0)
    (inserted,) = model.incident("ticket_in", 10.0, amount_cents=2550)
    assert inserted.kind is Kind.TICKET_INSERTED and inserted.data["amount_cents"] == 2550
    validation = inserted.data["validation"]
    assert [model.ticket_in] == [TicketIn(amount_cents=2550, validation=str(validation), at=10.0)]
    assert model.credits == 0 and model.accounting_errors() == []
    assert model.incident("ticket_in", 11.0, amount_cents=100) == []  # one at a time
    assert model.incident("ticket_out", 11.0) == []  # no cash-out meanwhile
    (redeemed,) = model.advance(12.0)
    assert (redeemed.kind, redeemed.at, redeemed.data) == (
        Kind.TICKET_REDEEMED,
        12.0,
        inserted.data,
    )
    m = model.meters
    assert (model.ticket_in, model.credits, m.ticket_in_cents, m.tickets_in) == (
        None,
        2550,
        2550,
        1,
    )
    assert m.total_drop == 2550


def test_ticket_in_with_no_escrow_time_is_redeemed_at_once() -> None:
    model = machine(escrow_seconds=0.0, denomination_cents=5)
    assert model.incident("ticket_in", 1.0, amount_cents=2501) == []  # not whole credits
    assert kinds(model.incident("ticket_in", 1.0)) == [Kind.TICKET_INSERTED, Kind.TICKET_REDEEMED]
    assert model.credits == 400  # $20 by default, in 5-cent credits


def test_cash_out_above_the_ticket_limit_is_a_cancelled_credit_handpay() -> None:
    model = machine(ticket_limit_cents=1000, attendant_seconds=None)
    model.incident("bill", 1.0, dollars=20)
    pressed, pending = model.incident("ticket_out", 2.0)
    assert pressed.kind is Kind.CASHOUT_PRESSED and pending.kind is Kind.HANDPAY_PENDING
    assert pending.data == {"amount_credits": 2000, "handpay": "cancelled_credits"}
    assert model.handpay == Handpay(amount_credits=2000, kind=HandpayKind.CANCELLED_CREDITS, at=2.0)
    assert model.credits == 2000 and not model.in_service
    (reset,) = model.reset_handpay(3.0)
    assert reset.data == {
        "amount_credits": 2000,
        "handpay": "cancelled_credits",
        "to_credit_meter": 0,
    }
    m = model.meters
    assert (model.credits, m.cancelled_credits, m.handpaid_cancelled_credits) == (0, 2000, 2000)
    assert m.ticket_out_cents == 0 and model.accounting_errors() == []


def test_cancelled_credit_handpay_reset_to_the_credit_meter_keeps_the_credits() -> None:
    model = machine(ticket_limit_cents=1000)
    model.incident("bill", 1.0, dollars=20)
    model.incident("ticket_out", 2.0)
    (reset,) = model.reset_handpay(3.0, to_credit_meter=True)
    assert reset.data["to_credit_meter"] == 1
    assert model.credits == 2000 and model.meters.cancelled_credits == 0
    assert model.in_service and model.accounting_errors() == []


# --- games -----------------------------------------------------------------------


def test_a_game_bets_then_settles_after_game_seconds() -> None:
    model = machine(PLAYING, game_seconds=3.0)
    model.incident("bill", 0.0, dollars=1)
    started = until_kind(model, Kind.GAME_STARTED)
    wager = started.data["wager_credits"]
    assert isinstance(wager, int) and 1 <= wager <= model.max_bet
    assert started.data["coin_in"] == model.meters.coin_in == wager
    assert (model.wager, model.credits) == (wager, 100 - wager)
    assert model.meters.games_played == 0  # counted when the game ends
    ended = until_kind(model, Kind.GAME_ENDED)
    assert ended.at == started.at + 3.0 and model.wager is None
    m = model.meters
    assert m.games_played == 1 and m.games_won + m.games_lost == 1
    assert m.coin_out == ended.data["win_credits"]
    assert model.games_since_power == model.games_since_door == 1


def test_no_game_without_credits() -> None:
    assert machine(PLAYING).advance(3600.0) == []


def test_the_last_bet_is_what_is_left() -> None:
    model = machine(PLAYING, denomination_cents=100, max_bet=5)
    model.incident("bill", 0.0, dollars=1)  # one credit
    assert until_kind(model, Kind.GAME_STARTED).data["wager_credits"] == 1


@pytest.mark.parametrize(
    "block",
    [
        lambda m: m.set_enabled(False, 1.0),
        lambda m: m.incident("door_open", 1.0, door="slot"),
        lambda m: m.incident("door_open", 1.0, door="card_cage"),
        lambda m: m.incident("tilt", 1.0, tilt="reel", seconds=10_000.0),
        lambda m: m.incident("handpay", 1.0),
        lambda m: m.power_cycle(1.0, seconds=10_000.0),
    ],
)
def test_no_game_out_of_service(block: Any) -> None:
    model = machine(PLAYING, attendant_seconds=None)
    model.incident("bill", 0.0, dollars=100)
    block(model)
    assert Kind.GAME_STARTED not in kinds(model.advance(3600.0))


def test_open_drop_door_does_not_stop_play() -> None:
    model = machine(PLAYING)
    model.incident("bill", 0.0, dollars=100)
    model.incident("door_open", 0.0, door="drop")
    assert model.in_service
    assert Kind.GAME_STARTED in kinds(model.advance(600.0))


def test_play_resumes_when_the_host_enables_it() -> None:
    model = machine(PLAYING)
    model.incident("bill", 0.0, dollars=100)
    model.set_enabled(False, 0.0)
    assert model.advance(600.0) == []
    model.set_enabled(True, 600.0)
    assert Kind.GAME_STARTED in kinds(model.advance(1200.0))


def test_a_big_win_locks_the_machine_until_the_handpay_is_reset() -> None:
    rates = PLAYING.model_copy(update={"handpays_per_hour": 1e6})  # every game
    model = machine(rates, attendant_seconds=None)
    assert model.jackpot_chance == 1.0
    model.incident("bill", 0.0, dollars=1)
    pending = until_kind(model, Kind.HANDPAY_PENDING)
    amount = pending.data["amount_credits"]
    assert isinstance(amount, int) and amount >= model.limit_credits == 120_000
    assert pending.data["handpay"] == "jackpot"
    credits = model.credits
    assert model.advance(model.now + 3600.0) == []  # locked: no games
    (reset,) = model.reset_handpay(model.now)
    assert reset.kind is Kind.HANDPAY_RESET and reset.data["amount_credits"] == amount
    assert model.meters.jackpot == amount and model.meters.coin_out == 0
    assert model.credits == credits and model.meters.games_won == 1
    assert model.reset_handpay(model.now) == []
    assert model.accounting_errors() == []


def test_a_win_at_the_handpay_limit_is_paid_by_hand() -> None:
    model = machine(PLAYING, denomination_cents=100, max_bet=1, handpay_limit_cents=100)
    model.incident("bill", 0.0, dollars=100)
    events = run(model, 3600.0)
    pending = [e for e in events if e.kind is Kind.HANDPAY_PENDING]
    assert pending and pending[0].data == {"amount_credits": 1, "handpay": "jackpot"}


def test_a_jackpot_reset_to_the_credit_meter_is_machine_paid() -> None:
    model = machine()
    (pending,) = model.incident("handpay", 1.0, amount_credits=5000)
    assert pending.data == {"amount_credits": 5000, "handpay": "jackpot"}
    assert model.incident("handpay", 2.0, amount_credits=7) == []  # one at a time
    model.reset_handpay(3.0, to_credit_meter=True)
    assert (model.credits, model.meters.coin_out, model.meters.jackpot) == (5000, 5000, 0)
    assert model.accounting_errors() == []


def test_an_attendant_resets_a_handpay_the_host_leaves() -> None:
    model = machine(attendant_seconds=60.0)
    model.incident("handpay", 10.0)
    assert [model.handpay] == [Handpay(amount_credits=120_000, kind=HandpayKind.JACKPOT, at=10.0)]
    assert model.advance(69.0) == []
    (reset,) = model.advance(70.0)
    assert reset.kind is Kind.HANDPAY_RESET and model.handpay is None
    assert model.meters.jackpot == 120_000


def test_a_host_reset_cancels_the_attendant() -> None:
    model = machine(attendant_seconds=60.0)
    model.incident("handpay", 10.0)
    model.reset_handpay(20.0)
    model.incident("handpay", 30.0, amount_credits=5)
    assert model.advance(80.0) == []  # the first attendant is not coming any more
    assert kinds(model.advance(90.0)) == [Kind.HANDPAY_RESET]


def test_a_cash_out_waits_for_the_game_in_progress() -> None:
    rates = PLAYING.model_copy(update={"games_per_minute": 20.0, "tickets_per_hour": 3600.0})
    model = machine(rates)
    playing = False
    printed = 0
    for _ in range(40):
        model.incident("bill", model.now, dollars=5)
        for e in model.advance(model.now + 60.0):
            assert not (playing and e.kind is Kind.CASHOUT_PRESSED)
            playing = {Kind.GAME_STARTED: True, Kind.GAME_ENDED: False}.get(e.kind, playing)
            printed += e.kind is Kind.TICKET_PRINTED
    assert printed > 20 and model.accounting_errors() == []


# --- doors, tilts, cards, power -------------------------------------------------------


def test_doors_open_and_close() -> None:
    model = machine()
    (opened,) = model.incident("door_open", 1.0)  # the slot door by default
    assert (opened.kind, opened.data) == (Kind.DOOR_OPENED, {"door": "slot"})
    assert model.doors_open == {Door.SLOT} and not model.in_service
    assert model.meters.slot_door_opened == 1
    assert model.incident("door_open", 2.0, door="slot") == []  # already open
    (closed,) = model.incident("door_close", 3.0)
    assert (closed.kind, closed.data) == (Kind.DOOR_CLOSED, {"door": "slot"})
    assert model.incident("door_close", 4.0) == []  # already closed
    assert model.doors_open == frozenset() and model.in_service


def test_a_door_opened_for_some_seconds_closes_by_itself() -> None:
    model = machine()
    model.incident("door_open", 1.0, door="belly", seconds=30.0)
    assert model.advance(30.9) == []
    (closed,) = model.advance(31.0)
    assert closed.kind is Kind.DOOR_CLOSED and closed.at == 31.0


def test_a_stale_close_does_not_close_a_reopened_door() -> None:
    model = machine()
    model.incident("door_open", 1.0, door="drop", seconds=10.0)
    model.incident("door_close", 5.0, door="drop")
    model.incident("door_open", 6.0, door="drop")  # open until closed by hand
    assert model.advance(100.0) == []
    assert model.doors_open == {Door.DROP}


def test_closing_the_slot_door_restarts_games_since_door() -> None:
    model = machine(PLAYING)
    model.incident("bill", 0.0, dollars=5)
    until_kind(model, Kind.GAME_ENDED)
    assert model.sas_meters()[0x26] == 1
    model.incident("door_open", model.now)
    model.incident("door_close", model.now)
    assert model.sas_meters()[0x26] == 0 and model.meters.games_played == 1


def test_a_tilt_clears_after_a_while() -> None:
    model = machine()
    (tilt,) = model.incident("tilt", 1.0, tilt="printer_paper_out", seconds=10.0)
    assert (tilt.kind, tilt.data) == (Kind.TILT, {"tilt": "printer_paper_out"})
    assert model.tilts == {Tilt.PRINTER_PAPER_OUT}
    assert (model.printer_ok, model.in_service) == (False, False)
    assert model.incident("tilt", 2.0, tilt="printer_paper_out") == []
    assert model.advance(11.0) == []  # clearing reports nothing
    assert model.printer_ok and model.in_service
    model.incident("tilt", 12.0)  # general, for a drawn time
    assert model.tilts == {Tilt.GENERAL}
    model.advance(12.0 + 300.0)
    assert model.tilts == frozenset()


def test_player_cards() -> None:
    model = machine()
    (card_in,) = model.incident("card_in", 1.0, card="4711")
    assert (card_in.kind, card_in.data, model.card) == (
        Kind.PLAYER_CARD_INSERTED,
        {"card": "4711"},
        "4711",
    )
    assert model.incident("card_in", 2.0, card="9") == []  # the slot is taken
    (card_out,) = model.incident("card_out", 3.0)
    assert (card_out.kind, card_out.data, model.card) == (
        Kind.PLAYER_CARD_REMOVED,
        {"card": "4711"},
        None,
    )
    assert model.incident("card_out", 4.0) == []
    model.incident("card_in", 5.0, seconds=60.0)  # a drawn card number
    assert model.card is not None and model.card.isdigit()
    assert kinds(model.advance(65.0)) == [Kind.PLAYER_CARD_REMOVED]


def test_a_card_taken_out_by_hand_cancels_its_timed_removal() -> None:
    model = machine()
    model.incident("card_in", 1.0, card="1", seconds=60.0)
    model.incident("card_out", 2.0)
    model.incident("card_in", 3.0, card="2")
    assert model.advance(100.0) == [] and model.card == "2"


def test_power_cycle() -> None:
    model = machine()
    (lost,) = model.power_cycle(10.0, seconds=5.0)
    assert lost.kind is Kind.POWER_LOST
    assert (model.powered, model.in_service) == (False, False)
    assert model.power_cycle(11.0) == []  # already off
    assert model.incident("bill", 11.0) == []  # a dead machine does nothing
    assert model.reset_meters(11.0) == []
    (applied,) = model.advance(15.0)
    assert (applied.kind, applied.at) == (Kind.POWER_APPLIED, 15.0)
    assert model.powered and model.meters.power_resets == 1
    assert model.sas_meters()[0x25] == 0
    assert kinds(model.incident("power_cycle", 20.0)) == [Kind.POWER_LOST]  # drawn outage
    assert kinds(model.advance(20.0 + 120.0)) == [Kind.POWER_APPLIED]


def test_power_cycle_rejects_an_endless_outage() -> None:
    with pytest.raises(ValueError, match="finite"):
        machine().power_cycle(1.0, seconds=float("inf"))


def test_what_was_due_during_an_outage_happens_at_power_up() -> None:
    model = machine(PLAYING)
    model.incident("bill", 0.0, dollars=5)
    until_kind(model, Kind.GAME_STARTED)
    now = model.now
    model.incident("door_open", now, door="drop", seconds=1.0)
    model.power_cycle(now, seconds=60.0)
    events = model.advance(now + 60.0)
    assert kinds(events)[:3] == [Kind.POWER_APPLIED, Kind.DOOR_CLOSED, Kind.GAME_ENDED]
    assert {e.at for e in events[:3]} == {now + 60.0}
    assert model.games_since_power == 1


def test_a_ram_clear_zeroes_meters_and_credits() -> None:
    model = machine(BUSY, seed=5)
    run(model, 3600.0, step=10.0)
    model.incident("ticket_in", model.now)
    model.incident("handpay", model.now)
    assert model.meters.coin_in > 0
    (reset,) = model.reset_meters(model.now)
    assert reset.kind is Kind.METERS_RESET
    assert model.meters == Meters() and model.credits == 0
    assert (model.handpay, model.ticket_in, model.last_bill) == (None, None, None)
    assert list(model.tickets) == [] and model.accounting_errors() == []
    assert kinds(model.incident("meters_reset", model.now)) == [Kind.METERS_RESET]


def test_options_changed_is_reported() -> None:
    (changed,) = machine().incident("options_changed", 1.0)
    assert (changed.kind, changed.data) == (Kind.OPTIONS_CHANGED, {})


def test_host_actions_return_what_was_due_first() -> None:
    model = machine()
    model.incident("door_open", 0.0, seconds=5.0)
    assert kinds(model.set_enabled(False, 10.0)) == [Kind.DOOR_CLOSED]
    model.incident("door_open", 10.0, seconds=5.0)
    assert kinds(model.set_bill_acceptor(False, 20.0)) == [Kind.DOOR_CLOSED]
    assert not model.enabled and not model.bill_acceptor_enabled


# --- incidents ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("explode", {}, "unknown incident kind 'explode'; expected one of: door_open"),
        ("door_open", {"dor": "slot"}, "takes no parameter 'dor' \\(it takes: door, seconds\\)"),
        ("ticket_out", {"amount_cents": 5}, "it takes: no parameters"),
        ("door_open", {"door": "roof"}, "'door' must be one of: slot, drop"),
        ("tilt", {"tilt": 3}, "'tilt' must be one of"),
        ("tilt", {"seconds": -1}, "'seconds' must be a number of seconds >= 0"),
        ("power_cycle", {"seconds": True}, "'seconds' must be a number"),
        ("power_cycle", {"seconds": "5"}, "'seconds' must be a number"),
        ("handpay", {"amount_credits": 0}, "'amount_credits' must be a positive integer"),
        ("ticket_in", {"amount_cents": 1.5}, "'amount_cents' must be a positive integer"),
        ("bill", {"dollars": 3}, "'dollars' must be a bank note"),
        ("card_in", {"card": ""}, "'card' must be a non-empty string"),
    ],
)
def test_malformed_incidents_are_refused(kind: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_incident(kind, params)
    model = machine()
    with pytest.raises(ValueError, match=message):
        model.incident(kind, 1.0, **params)
    assert model.now == 0.0  # refused before anything ran


@pytest.mark.parametrize("kind", INCIDENT_KINDS)
def test_every_incident_kind_works_with_its_defaults(kind: str) -> None:
    model = machine()
    model.incident("bill", 0.0)
    model.incident("card_in", 0.0)
    events = model.incident(kind, 1.0)
    if kind in {"door_close", "card_in"}:  # nothing to close; the card slot is taken
        assert events == []
    else:
        assert events and events[0].at == 1.0 and model.accounting_errors() == []


# --- meters ---------------------------------------------------------------------------


def test_sas_meters_hold_the_core_accounting_set() -> None:
    model = machine(BUSY, seed=11, denomination_cents=5)
    run(model, 2 * 3600.0, step=5.0)
    model.incident("handpay", model.now, amount_credits=321)
    model.reset_handpay(model.now)
    meters, m = model.sas_meters(), model.meters
    core = {
        0x00: m.coin_in,
        0x01: m.coin_out,
        0x02: m.jackpot,
        0x03: m.handpaid_cancelled_credits,
        0x04: m.cancelled_credits,
        0x05: m.games_played,
        0x06: m.games_won,
        0x07: m.games_lost,
        0x0B: m.bills_credits,
        0x0C: model.credits,
        0x0D: m.ticket_in_cents,
        0x0E: m.ticket_out_cents,
        0x24: m.total_drop,
    }
    assert {code: meters[code] for code in core} == core
    assert all(meters[code] == 0 for code in (0x1D, 0x1E, 0x20, 0x21, 0xA0, 0xB8))
    assert meters[0x15] * 5 == m.ticket_in_cents and meters[0x2C] * 5 == m.ticket_out_cents
    assert meters[0x22] == m.coin_out + m.jackpot
    assert meters[0x23] == m.handpaid_cancelled_credits + m.jackpot
    assert meters[0x44] == m.bills_by_dollars.get(20, 0) > 0  # $20 notes
    assert meters[0x47] == m.bills_by_dollars.get(100, 0)
    assert m.jackpot >= 321 and m.games_played > 0 and m.ticket_in_cents > 0
    assert list(meters) == sorted(meters)


def test_rollover_is_left_to_the_encoder() -> None:
    assert rollover(10**8 + 5) == 5
    assert rollover(123_456_789_012, 10) == 3_456_789_012
    assert rollover(99_999_999) == 99_999_999


def test_broken_books_are_reported() -> None:
    model = machine()
    model.incident("bill", 1.0)
    model.credits += 1
    model.meters.games_won = 1
    assert model.accounting_errors() == [
        "credits == bills + ticket in + coin out - coin in - cancelled",
        "games played == games won + games lost",
    ]
    model.meters.bills_by_dollars[20] = -1
    assert "nothing negative" in model.accounting_errors()


def test_meter_snapshots_are_independent() -> None:
    meters = Meters(coin_in=5, bills_by_dollars={1: 2})
    snapshot = meters.copy()
    meters.bills_by_dollars[1] = 3
    meters.coin_in = 6
    assert snapshot == Meters(coin_in=5, bills_by_dollars={1: 2})


def test_bill_meter_codes_follow_table_c7() -> None:
    assert len(BILL_DOLLARS) == 0x57 - 0x40 + 1
    assert (
        Meters(bills_by_dollars={1_000_000: 1}).sas(
            credits=0, denomination_cents=1, games_since_power=0, games_since_door=0
        )[0x57]
        == 1
    )


# --- draws ----------------------------------------------------------------------------


def test_draws() -> None:
    rng = random.Random(4)
    assert activity.after(rng, 5.0, 0.0) == float("inf")
    assert activity.next_game(rng, 5.0, 0.0, 3.0) == float("inf")
    assert activity.next_game(rng, 5.0, 60.0, 3.0) >= 8.0
    assert activity.game_gap(1000.0, 3.0) == activity.MIN_GAME_GAP
    assert all(activity.ticket_cents(rng, 25) % 25 == 0 for _ in range(200))
    assert activity.ticket_cents(rng, 50_000) == 50_000
    assert all(100 <= activity.jackpot(rng, 100) <= 200 for _ in range(200))
    assert all(2.0 <= activity.tilt_seconds(rng) <= 300.0 for _ in range(200))


def test_the_paytable_returns_about_92_percent() -> None:
    rng = random.Random(9)
    bets = 200_000
    paid = sum(activity.win(rng, 1) for _ in range(bets))
    assert 0.88 < paid / bets < 0.96


# --- properties -----------------------------------------------------------------------

DOORS = st.sampled_from([d.value for d in Door])
TILTS = st.sampled_from([t.value for t in Tilt])
SECONDS = st.floats(0, 600, allow_nan=False)
PARAMS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "door_open": st.fixed_dictionaries({"door": DOORS}, optional={"seconds": SECONDS}),
    "door_close": st.fixed_dictionaries({"door": DOORS}),
    "handpay": st.fixed_dictionaries({}, optional={"amount_credits": st.integers(1, 10**6)}),
    "tilt": st.fixed_dictionaries({"tilt": TILTS}, optional={"seconds": SECONDS}),
    "power_cycle": st.fixed_dictionaries({}, optional={"seconds": SECONDS}),
    "bill": st.fixed_dictionaries({"dollars": st.sampled_from([1, 5, 10, 20, 50, 100])}),
    "ticket_in": st.fixed_dictionaries({"amount_cents": st.integers(1, 10**5)}),
    "card_in": st.fixed_dictionaries({}, optional={"seconds": SECONDS}),
}
INCIDENTS = st.sampled_from(INCIDENT_KINDS).flatmap(
    lambda kind: st.tuples(st.just("incident"), st.just(kind), PARAMS.get(kind, st.just({})))
)
STEPS = st.one_of(
    st.tuples(st.just("advance"), st.floats(0, 900, allow_nan=False)),
    INCIDENTS,
    st.tuples(st.just("enable"), st.booleans()),
    st.tuples(st.just("bills"), st.booleans()),
    st.tuples(st.just("reset_handpay"), st.booleans()),
    st.tuples(st.just("power_cycle"), st.floats(0, 300, allow_nan=False)),
    st.tuples(st.just("reset_meters")),
)
Step = tuple[Any, ...]
PROPERTY = settings(max_examples=120, deadline=None)


def make(seed: int, denomination: int, escrow: float) -> MachineModel:
    return machine(
        BUSY,
        seed=seed,
        denomination_cents=denomination,
        ticket_limit_cents=50_000,
        escrow_seconds=escrow,
    )


def apply(model: MachineModel, step: Step) -> list[MachineEvent]:
    """One call on the model; time moves on by at most 15 minutes per call."""
    match step:
        case ("advance", dt):
            return model.advance(model.now + dt)
        case ("incident", kind, params):
            return model.incident(kind, model.now + 1.0, **params)
        case ("enable", on):
            return model.set_enabled(on, model.now + 1.0)
        case ("bills", on):
            return model.set_bill_acceptor(on, model.now + 1.0)
        case ("reset_handpay", to_credit_meter):
            return model.reset_handpay(model.now + 1.0, to_credit_meter=to_credit_meter)
        case ("power_cycle", seconds):
            return model.power_cycle(model.now + 1.0, seconds)
        case _:
            return model.reset_meters(model.now + 1.0)


def assert_games_alternate(events: Sequence[MachineEvent]) -> None:
    games = [e.kind for e in events if e.kind in (Kind.GAME_STARTED, Kind.GAME_ENDED)]
    assert games[0::2] == [Kind.GAME_STARTED] * len(games[0::2])
    assert games[1::2] == [Kind.GAME_ENDED] * len(games[1::2])


@PROPERTY
@given(
    seed=st.integers(0, 2**32),
    denomination=st.sampled_from([1, 5, 25, 100]),
    escrow=st.sampled_from([0.0, 2.0]),
    steps=st.lists(STEPS, max_size=40),
)
def test_books_balance_and_meters_only_grow_whatever_happens(
    seed: int, denomination: int, escrow: float, steps: list[Step]
) -> None:
    model = make(seed, denomination, escrow)
    events: list[MachineEvent] = []
    for step in steps:
        before, now_before = model.meters.copy(), model.now
        new = apply(model, step)
        events += new
        assert model.accounting_errors() == [], step
        assert all(now_before <= e.at <= model.now for e in new)
        if Kind.METERS_RESET not in kinds(new):
            after = model.meters
            grown = after.counters()
            assert all(grown[name] >= value for name, value in before.counters().items())
            notes = before.bills_by_dollars.items()
            assert all(after.bills_by_dollars.get(d, 0) >= n for d, n in notes)
    if events:
        assert_games_alternate(events)


@PROPERTY
@given(seed=st.integers(0, 2**32), steps=st.lists(STEPS, max_size=25))
def test_same_seed_and_same_calls_give_the_same_events(seed: int, steps: list[Step]) -> None:
    first, second = make(seed, 1, 2.0), make(seed, 1, 2.0)
    assert [apply(first, s) for s in steps] == [apply(second, s) for s in steps]
    assert first.meters == second.meters and first.credits == second.credits


@PROPERTY
@given(seed=st.integers(0, 2**32), steps=st.lists(st.floats(0.01, 120), min_size=1))
def test_the_events_do_not_depend_on_the_time_step(seed: int, steps: list[float]) -> None:
    stepped, at_once = make(seed, 1, 2.0), make(seed, 1, 2.0)
    events: list[MachineEvent] = []
    for dt in steps:
        events += stepped.advance(stepped.now + dt)
    assert events == at_once.advance(stepped.now)
    assert stepped.meters == at_once.meters
