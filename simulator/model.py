"""A protocol-neutral slot machine that plays by itself: when things happen.

``MachineModel`` is what a simulated machine *is*; protocol front-ends
(``sas_egm.py``) read its state and map the ``MachineEvent`` values it
returns to wire codes. ``state.py`` holds the state and the books (how money
moves, the accounting invariant); this module decides when things happen.

Rules: deterministic given a seeded ``random.Random`` and the sequence of
calls; time is an argument (float seconds of simulation time, never
decreasing); no clock, no I/O, no asyncio. Meters are raw ints; the SAS side
rolls them over (``meters.rollover``).

Dynamics - a discrete-event simulation:

* Every activity of ``ActivityRates`` is a Poisson process; each occurrence
  draws the next one. Games are a renewal process instead: the next attempt
  comes a game's length plus an exponential pause after the last one.
* Everything scheduled (occurrences, a game's end, a door closing, a tilt
  clearing, the end of an outage...) waits in one heap ordered by time, then
  by insertion. ``advance(now)`` runs what is due, in order; each handler
  draws from the generator when it runs, so the events do not depend on how
  finely time is stepped.
* A host or scripted action first runs what is due up to ``now``, acts at
  ``now``, then runs what its action made due at ``now``, and returns all
  those events.
* Games, bills, cash-outs and tickets in need the machine in service
  (``MachineState.in_service``); an occurrence that finds it out of service,
  or finds no credit to bet, is skipped (the player has gone). A bet is at
  most the credits left. Doors, tilts and cards need power only. Unpowered,
  every occurrence is skipped and whatever ends something (a game, a door,
  a tilt, a card session, an escrow, a handpay) waits for power-up.
* A game ends ``game_seconds`` after it starts. Besides wins at or above
  the handpay limit, a big win is drawn with the per-game probability that
  gives ``handpays_per_hour`` at the configured pace of play.
* A pending handpay is reset by an attendant after ``attendant_seconds``
  (None = only by the host, ``reset_handpay``). A ticket in waits in escrow
  for ``escrow_seconds`` (TICKET_INSERTED), then is redeemed
  (TICKET_REDEEMED). A cash-out during a game waits for its end. A random
  door stays open about a minute, a tilt about 30 s, a power outage about
  20 s, a player card about 20 minutes.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable
from enum import Enum, auto
from typing import assert_never

from simulator import activity as draw
from simulator.activity import ActivityRates
from simulator.events import Door, Kind, MachineEvent, Tilt
from simulator.incidents import Incident, parse_incident
from simulator.state import Handpay, HandpayKind, LastBill, MachineState, TicketIn, event

__all__ = ["Handpay", "HandpayKind", "LastBill", "MachineModel", "MachineState", "TicketIn"]


class _Due(Enum):
    GAME = auto()
    BILL = auto()
    DOOR = auto()
    CASHOUT = auto()
    TICKET_IN = auto()
    CARD = auto()
    TILT = auto()
    POWER = auto()
    GAME_END = auto()
    DOOR_CLOSE = auto()
    TILT_CLEAR = auto()
    CARD_OUT = auto()
    ESCROW = auto()
    ATTENDANT = auto()
    POWER_ON = auto()
    CASHOUT_AFTER_GAME = auto()
    FIRST_BILL = auto()


_RECURRING = frozenset(
    {_Due.GAME, _Due.BILL, _Due.DOOR, _Due.CASHOUT, _Due.TICKET_IN, _Due.CARD, _Due.TILT}
    | {_Due.POWER}
)
_Entry = tuple[float, int, _Due, Door | Tilt | None, int]  # at, order, what, which, token


class MachineModel(MachineState):
    """One simulated slot machine; see the module docstrings of this and ``state.py``."""

    def __init__(
        self,
        machine_id: str,
        rng: random.Random,
        *,
        rates: ActivityRates | None = None,
        denomination_cents: int = 1,
        max_bet: int = 5,
        sas_version: str = "602",
        serial: str | None = None,
        asset_number: int = 0,
        game_seconds: float = 3.0,
        handpay_limit_cents: int = 120_000,
        ticket_limit_cents: int = 300_000,
        attendant_seconds: float | None = 180.0,
        escrow_seconds: float = 2.0,
        start: float = 0.0,
    ) -> None:
        super().__init__(
            machine_id,
            denomination_cents=denomination_cents,
            max_bet=max_bet,
            sas_version=sas_version,
            serial=serial,
            asset_number=asset_number,
            handpay_limit_cents=handpay_limit_cents,
            ticket_limit_cents=ticket_limit_cents,
        )
        if game_seconds <= 0 or escrow_seconds < 0:
            raise ValueError("game_seconds must be > 0 and escrow_seconds >= 0")
        if attendant_seconds is not None and attendant_seconds < 0:
            raise ValueError("attendant_seconds must be >= 0 (or None)")
        self.rates = rates if rates is not None else ActivityRates()
        self.game_seconds = game_seconds
        self.attendant_seconds = attendant_seconds
        self.escrow_seconds = escrow_seconds
        self._rng = rng
        self._now = start
        self._queue: list[_Entry] = []
        self._order = itertools.count(1)
        self._live: dict[_Due, int] = {}  # token of the pending end of a one-off
        self._watched: dict[_Due, Handpay | TicketIn | None] = {}
        self._power_on_at = start
        self._game_ends_at = start
        r = self.rates
        self._per_hour = {
            _Due.BILL: r.bills_per_hour,
            _Due.DOOR: r.door_openings_per_hour,
            _Due.CASHOUT: r.tickets_per_hour,
            _Due.TICKET_IN: r.ticket_ins_per_hour,
            _Due.CARD: r.player_cards_per_hour,
            _Due.TILT: r.tilts_per_hour,
            _Due.POWER: r.power_cycles_per_hour,
        }
        self.jackpot_chance = 0.0
        """Probability that a game ends in a drawn big win (a handpay)."""
        if r.games_per_minute > 0:
            per_game = game_seconds + draw.game_gap(r.games_per_minute, game_seconds)
            self.jackpot_chance = min(r.handpays_per_hour * per_game / 3600, 1.0)
        for due in self._per_hour:
            self._recur(due, start)
        if r.games_per_minute > 0 and self._rng.random() < r.in_play_at_start:
            first_bill = start + self._rng.uniform(*draw.FIRST_BILL_SECONDS)
            self._once(_Due.FIRST_BILL, first_bill)
            self._push(first_bill + draw.MIN_GAME_GAP, _Due.GAME)  # the player plays at once
        else:
            self._recur(_Due.GAME, start)

    @property
    def now(self) -> float:
        return self._now

    def advance(self, now: float) -> list[MachineEvent]:
        """Every event due up to ``now``, in time order."""
        if now < self._now:
            raise ValueError(f"time went backwards: {now} < {self._now}")
        self._now = now
        events: list[MachineEvent] = []
        while self._queue and self._queue[0][0] <= now:
            at, _, due, which, token = heapq.heappop(self._queue)
            events += self._run(due, at, which, token)
            self._watch()
        return events

    # --- host and scripted actions ------------------------------------------------

    def set_enabled(self, enabled: bool, now: float) -> list[MachineEvent]:
        """Host enables or disables play (SAS LP 01/02); a game in progress ends normally."""
        events = self.advance(now)
        self.enabled = enabled
        return events

    def set_bill_acceptor(self, enabled: bool, now: float) -> list[MachineEvent]:
        """Host enables or disables the bill acceptor (SAS LP 06/07)."""
        events = self.advance(now)
        self.bill_acceptor_enabled = enabled
        return events

    def reset_handpay(self, now: float, *, to_credit_meter: bool = False) -> list[MachineEvent]:
        """Reset a pending handpay (SAS LP 94, A8 01); no event when none is pending."""
        return self._act(now, lambda: self._reset_handpay(now, to_credit_meter))

    def power_cycle(self, now: float, seconds: float | None = None) -> list[MachineEvent]:
        """Cut the power now; it comes back ``seconds`` later (drawn when None)."""
        if seconds is not None and not 0 <= seconds < math.inf:
            raise ValueError(f"outage seconds must be finite and >= 0, not {seconds}")
        return self._act(now, lambda: self._power_off(now, seconds))

    def reset_meters(self, now: float) -> list[MachineEvent]:
        """RAM clear: meters, credits, handpay, escrow and ticket records to zero."""
        return self._act(now, lambda: self._reset_meters(now))

    def incident(self, kind: str, now: float, **params: object) -> list[MachineEvent]:
        """A scripted incident (``incidents.py`` lists them); ValueError when malformed.

        An incident that cannot happen in the machine's state (a bill while
        disabled, a second handpay, anything while unpowered) does nothing.
        """
        incident = parse_incident(kind, params)
        return self._act(now, lambda: self._incident(incident, now))

    def _act(self, now: float, action: Callable[[], list[MachineEvent]]) -> list[MachineEvent]:
        events = self.advance(now)
        if self.powered:
            events += action()
            self._watch()
        return events + self.advance(now)

    def _incident(self, incident: Incident, at: float) -> list[MachineEvent]:
        amount, rng = incident.amount, self._rng
        match incident.kind:
            case "door_open":
                return self._open(at, incident.door, incident.seconds)
            case "door_close":
                return self._close_door(at, incident.door)
            case "handpay":
                if self.handpay is not None:
                    return []
                return self._lock(at, amount or self.limit_credits, HandpayKind.JACKPOT)
            case "tilt":
                return self._tilt(at, incident.tilt, incident.seconds)
            case "power_cycle":
                return self._power_off(at, incident.seconds)
            case "bill":
                return self._bill(at, amount or 20)
            case "ticket_out":
                return self._cash_out(at, draw.validation(rng))
            case "ticket_in":
                return self._insert_ticket(at, amount or 2000, draw.validation(rng))
            case "card_in":
                return self._card_in(at, incident.card, incident.seconds)
            case "card_out":
                self._live.pop(_Due.CARD_OUT, None)
                return self._card_out(at)
            case "meters_reset":
                return self._reset_meters(at)
            case "options_changed":
                return [event(Kind.OPTIONS_CHANGED, at)]
            case _:  # pragma: no cover
                assert_never(incident.kind)

    # --- the scheduler ------------------------------------------------------------

    def _push(self, at: float, due: _Due, which: Door | Tilt | None = None, token: int = 0) -> None:
        if at < math.inf:
            heapq.heappush(self._queue, (at, next(self._order), due, which, token))

    def _recur(self, due: _Due, at: float) -> None:
        if due is _Due.GAME:
            rate = self.rates.games_per_minute
            self._push(draw.next_game(self._rng, at, rate, self.game_seconds), due)
        else:
            self._push(draw.after(self._rng, at, self._per_hour[due]), due)

    def _once(self, due: _Due, at: float, which: Door | Tilt | None = None) -> int:
        """Schedule the end of something; returns the token that keeps it current."""
        token = next(self._order)
        if which is None:
            self._live[due] = token
        self._push(at, due, which, token)
        return token

    def _watch(self) -> None:
        """A pending handpay has an attendant coming; a ticket in escrow, its redemption."""
        for due, thing, delay in (
            (_Due.ATTENDANT, self.handpay, self.attendant_seconds),
            (_Due.ESCROW, self.ticket_in, self.escrow_seconds),
        ):
            if self._watched.get(due) is not thing:
                self._watched[due] = thing
                self._live.pop(due, None)
                if thing is not None and delay is not None:
                    self._once(due, thing.at + delay)

    def _current(self, due: _Due, which: Door | Tilt | None, token: int) -> bool:
        if isinstance(which, Door):
            return self._doors.get(which) == token
        if isinstance(which, Tilt):
            return self._tilts.get(which) == token
        return self._live.get(due) == token

    def _run(
        self, due: _Due, at: float, which: Door | Tilt | None, token: int
    ) -> list[MachineEvent]:
        if due in _RECURRING:
            self._recur(due, at)
            return self._occur(due, at) if self.powered else []
        if not self._current(due, which, token):
            return []  # superseded: closed, cleared or reset meanwhile
        if not self.powered and due is not _Due.POWER_ON:
            self._push(self._power_on_at, due, which, token)  # runs after POWER_ON
            return []
        self._live.pop(due, None)
        if isinstance(which, Door):
            return self._close_door(at, which)
        if isinstance(which, Tilt):
            del self._tilts[which]
            return []
        if due is _Due.GAME_END:
            return self._end_game(at)
        if due is _Due.CARD_OUT:
            return self._card_out(at)
        if due is _Due.ESCROW:
            return self._redeem(at)
        if due is _Due.ATTENDANT:
            return self._reset_handpay(at, to_credit_meter=False)
        if due is _Due.CASHOUT_AFTER_GAME:
            return self._cash_out(at, draw.validation(self._rng))
        if due is _Due.FIRST_BILL:
            return self._bill(at, draw.bill(self._rng))
        return self._power_on(at)

    def _occur(self, due: _Due, at: float) -> list[MachineEvent]:
        rng = self._rng
        if due is _Due.GAME:
            return self._start_game(at)
        if due is _Due.BILL:
            return self._bill(at, draw.bill(rng))
        if due is _Due.DOOR:
            return self._open(at, draw.door(rng), draw.door_seconds(rng))
        if due is _Due.CASHOUT and self.wager is not None:  # the player waits for the game
            self._once(_Due.CASHOUT_AFTER_GAME, self._game_ends_at)
            return []
        if due is _Due.CASHOUT:
            return self._cash_out(at, draw.validation(rng))
        if due is _Due.TICKET_IN:
            cents = draw.ticket_cents(rng, self.denomination_cents)
            return self._insert_ticket(at, cents, draw.validation(rng))
        if due is _Due.CARD:
            return self._card_in(at, None, draw.card_seconds(rng))
        if due is _Due.TILT:
            return self._tilt(at, draw.tilt(rng), None)
        return self._power_off(at, None)

    # --- what is scheduled ----------------------------------------------------------

    def _start_game(self, at: float) -> list[MachineEvent]:
        playable = self.in_service and self.game_enabled and self.wager is None
        if not playable or self.credits == 0:
            return []
        wager = min(draw.wager(self._rng, self.max_bet), self.credits)
        self._game_ends_at = at + self.game_seconds
        self._once(_Due.GAME_END, self._game_ends_at)
        return self._bet(at, wager)

    def _end_game(self, at: float) -> list[MachineEvent]:
        big = self.handpay is None and self._rng.random() < self.jackpot_chance
        if big:
            won = draw.jackpot(self._rng, self.limit_credits)
        else:
            won = draw.win(self._rng, self.wager or 0)
        return self._settle(at, won)

    def _open(self, at: float, door: Door, seconds: float | None) -> list[MachineEvent]:
        if door in self._doors:
            return []
        if seconds is None:  # open until a script closes it
            return self._open_door(at, door, next(self._order))
        return self._open_door(at, door, self._once(_Due.DOOR_CLOSE, at + seconds, door))

    def _tilt(self, at: float, tilt: Tilt, seconds: float | None) -> list[MachineEvent]:
        if tilt in self._tilts:
            return []
        lasts = seconds if seconds is not None else draw.tilt_seconds(self._rng)
        self._tilts[tilt] = self._once(_Due.TILT_CLEAR, at + lasts, tilt)
        return [event(Kind.TILT, at, tilt=tilt.value)]

    def _card_in(self, at: float, card: str | None, seconds: float | None) -> list[MachineEvent]:
        if self.card is not None:
            return []
        self.card = card if card is not None else draw.card(self._rng)
        if seconds is not None:
            self._once(_Due.CARD_OUT, at + seconds)
        return [event(Kind.PLAYER_CARD_INSERTED, at, card=self.card)]

    def _power_off(self, at: float, seconds: float | None) -> list[MachineEvent]:
        self.powered = False
        lasts = seconds if seconds is not None else draw.outage_seconds(self._rng)
        self._power_on_at = at + lasts
        self._once(_Due.POWER_ON, self._power_on_at)
        return [event(Kind.POWER_LOST, at)]
