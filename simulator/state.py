"""What a simulated machine holds, and how money moves through it.

``MachineState`` is one machine's identity, state and books. Each transition
here keeps the books balanced and returns the events it causes; none draws
a random number or schedules anything. ``MachineModel`` (``model.py``)
extends this class and decides when transitions happen and what they draw.

Accounting invariant (``accounting_errors``; ``meters.py`` has the rest)::

    credits == bills_credits + ticket_in_cents / denomination
               + coin_out - coin_in - cancelled_credits

* a bet moves credits to ``coin_in`` (GAME_STARTED); a win below the
  handpay limit moves ``coin_out`` to credits (GAME_ENDED);
* a win at or above ``handpay_limit_cents`` locks the machine in a jackpot
  handpay and touches no credit; at the reset it goes to ``jackpot``
  (attendant-paid), or, reset to the credit meter, to credits and
  ``coin_out`` (then the machine paid it);
* a cash-out above ``ticket_limit_cents`` is a cancelled-credit handpay:
  the credits stay on the meter during the lock-up and go to
  ``cancelled_credits`` and ``handpaid_cancelled_credits`` at the reset
  (reset to the credit meter, they simply stay);
* bills and redeemed tickets raise credits and ``total_drop``; a printed
  ticket moves all credits to ``cancelled_credits`` and ``ticket_out_cents``;
* a RAM clear (``meters_reset``) sets every meter and the credits to 0.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

from simulator.events import Door, Kind, MachineEvent, Tilt
from simulator.meters import Meters, TicketRecord

PLAY_BLOCKING_DOORS = frozenset({Door.SLOT, Door.BELLY, Door.CARD_CAGE})
PRINTER_TILTS = frozenset({Tilt.PRINTER_PAPER_OUT, Tilt.PRINTER_COMMUNICATION})
TICKET_BUFFER = 31
"""Printed tickets kept for LP 4D (buffer indexes 01-1F, reference §3.9)."""


class HandpayKind(Enum):
    JACKPOT = "jackpot"  # a win the attendant pays (SAS LP 1B level 40)
    CANCELLED_CREDITS = "cancelled_credits"  # a cash-out above the ticket limit (level 80)


@dataclass(frozen=True, slots=True, kw_only=True)
class Handpay:
    amount_credits: int
    kind: HandpayKind
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketIn:
    """A ticket in escrow, before it is redeemed onto the credit meter."""

    amount_cents: int
    validation: str  # 16 digits
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LastBill:
    """The last note accepted and the lifetime count of that note (LP 48)."""

    dollars: int
    count: int


def event(kind: Kind, at: float, **data: int | str) -> MachineEvent:
    return MachineEvent(kind=kind, at=at, data=data)


class MachineState:
    """Identity, state and books of one machine; see the module docstring."""

    def __init__(
        self,
        machine_id: str,
        *,
        denomination_cents: int = 1,
        max_bet: int = 5,
        sas_version: str = "602",
        serial: str | None = None,
        asset_number: int = 0,
        handpay_limit_cents: int = 120_000,
        ticket_limit_cents: int = 300_000,
    ) -> None:
        if denomination_cents < 1 or max_bet < 1 or handpay_limit_cents < 1:
            raise ValueError("denomination, max bet and handpay limit must be positive")
        if ticket_limit_cents < 0:
            raise ValueError("the ticket limit must be >= 0")
        self.machine_id = machine_id
        self.denomination_cents = denomination_cents
        self.max_bet = max_bet
        self.sas_version = sas_version
        self.serial = serial if serial is not None else machine_id
        self.asset_number = asset_number
        self.handpay_limit_cents = handpay_limit_cents
        self.ticket_limit_cents = ticket_limit_cents
        self.credits = 0
        self.enabled = True  # play enabled by the host
        self.powered = True
        self.bill_acceptor_enabled = True
        self.bill_notes: frozenset[int] | None = None
        """The notes the acceptor takes (SAS LP 08); ``None``: every note."""
        self.acceptor_stays_enabled = True
        """False: the acceptor disables itself after each bill (LP 08's action flag)."""
        self.sound = True
        self.game_enabled = True  # the machine's one game (SAS LP 09)
        self.handpay: Handpay | None = None
        self.card: str | None = None  # player card number
        self.last_bill: LastBill | None = None
        self.tickets: deque[TicketRecord] = deque(maxlen=TICKET_BUFFER)
        self.ticket_in: TicketIn | None = None  # in escrow
        self.meters = Meters()
        self.games_since_power = 0
        self.games_since_door = 0
        self.wager: int | None = None  # the bet of the game in progress
        self._doors: dict[Door, int] = {}  # open door -> token of its scheduled close
        self._tilts: dict[Tilt, int] = {}  # active tilt -> token of its scheduled clear
        self._ticket_sequence = 0

    @property
    def doors_open(self) -> frozenset[Door]:
        return frozenset(self._doors)

    @property
    def tilts(self) -> frozenset[Tilt]:
        return frozenset(self._tilts)

    @property
    def printer_ok(self) -> bool:
        return not PRINTER_TILTS & self._tilts.keys()

    @property
    def in_service(self) -> bool:
        """Powered, enabled, no handpay lock-up, no tilt, no play-blocking door open."""
        locked = self.handpay is not None or bool(self._tilts)
        door_open = bool(PLAY_BLOCKING_DOORS & self._doors.keys())
        return self.powered and self.enabled and not locked and not door_open

    def takes_note(self, dollars: int) -> bool:
        """Whether the bill acceptor would stack this note now."""
        enabled = self.bill_notes is None or dollars in self.bill_notes
        return self.in_service and self.bill_acceptor_enabled and enabled

    def configure_bills(self, dollars: tuple[int, ...], *, stay_enabled: bool) -> None:
        """The host chooses the notes taken and whether the acceptor stays on after each."""
        self.bill_notes = frozenset(dollars)
        self.acceptor_stays_enabled = stay_enabled

    @property
    def limit_credits(self) -> int:
        """The smallest win, in credits, that is paid by hand."""
        return -(-self.handpay_limit_cents // self.denomination_cents)

    def sas_meters(self) -> dict[int, int]:
        """Raw meter values by Table C-7 code (§5); the SAS side applies rollover."""
        return self.meters.sas(
            credits=self.credits,
            denomination_cents=self.denomination_cents,
            games_since_power=self.games_since_power,
            games_since_door=self.games_since_door,
        )

    def accounting_errors(self) -> list[str]:
        """The accounting invariants that do not hold (empty when the books balance)."""
        return self.meters.errors(self.credits, self.denomination_cents)

    # --- transitions --------------------------------------------------------------

    def _bet(self, at: float, wager: int) -> list[MachineEvent]:
        self.credits -= wager
        self.meters.coin_in += wager
        self.wager = wager
        return [event(Kind.GAME_STARTED, at, wager_credits=wager, coin_in=self.meters.coin_in)]

    def _settle(self, at: float, won: int) -> list[MachineEvent]:
        m, self.wager = self.meters, None
        m.games_played += 1
        m.games_won += int(won > 0)
        m.games_lost += int(won == 0)
        self.games_since_power += 1
        self.games_since_door += 1
        events = [event(Kind.GAME_ENDED, at, win_credits=won)]
        if self.handpay is None and won * self.denomination_cents >= self.handpay_limit_cents:
            return events + self._lock(at, won, HandpayKind.JACKPOT)
        self.credits += won
        m.coin_out += won
        return events

    def _lock(self, at: float, amount: int, kind: HandpayKind) -> list[MachineEvent]:
        self.handpay = Handpay(amount_credits=amount, kind=kind, at=at)
        return [event(Kind.HANDPAY_PENDING, at, amount_credits=amount, handpay=kind.value)]

    def _reset_handpay(self, at: float, to_credit_meter: bool) -> list[MachineEvent]:
        handpay, self.handpay = self.handpay, None
        if handpay is None:
            return []
        amount, m = handpay.amount_credits, self.meters
        if handpay.kind is HandpayKind.JACKPOT and to_credit_meter:
            self.credits += amount
            m.coin_out += amount
        elif handpay.kind is HandpayKind.JACKPOT:
            m.jackpot += amount
        elif not to_credit_meter:  # cancelled credits, paid by the attendant
            self.credits -= amount
            m.cancelled_credits += amount
            m.handpaid_cancelled_credits += amount
        data: dict[str, int | str] = {"handpay": handpay.kind.value}
        data["to_credit_meter"] = int(to_credit_meter)
        return [event(Kind.HANDPAY_RESET, at, amount_credits=amount, **data)]

    def _bill(self, at: float, dollars: int) -> list[MachineEvent]:
        cents = dollars * 100
        if not self.takes_note(dollars) or cents % self.denomination_cents:
            return []  # a note refused, or one it cannot take in whole credits, is returned
        credits, m = cents // self.denomination_cents, self.meters
        self.credits += credits
        m.bills_credits += credits
        m.total_drop += credits
        m.bills_by_dollars[dollars] = m.bills_by_dollars.get(dollars, 0) + 1
        self.last_bill = LastBill(dollars=dollars, count=m.bills_by_dollars[dollars])
        self.bill_acceptor_enabled = self.acceptor_stays_enabled
        return [event(Kind.BILL_ACCEPTED, at, dollars=dollars)]

    def _cash_out(self, at: float, validation: str) -> list[MachineEvent]:
        busy = self.wager is not None or self.ticket_in is not None
        if not self.in_service or busy or self.credits == 0:
            return []
        amount, m = self.credits, self.meters
        cents = amount * self.denomination_cents
        events = [event(Kind.CASHOUT_PRESSED, at)]
        if cents > self.ticket_limit_cents:
            return events + self._lock(at, amount, HandpayKind.CANCELLED_CREDITS)
        self.credits = 0
        m.cancelled_credits += amount
        m.ticket_out_cents += cents
        m.tickets_out += 1
        self._ticket_sequence += 1
        record = TicketRecord(
            amount_cents=cents, validation=validation, at=at, sequence=self._ticket_sequence
        )
        self.tickets.append(record)
        return [*events, event(Kind.TICKET_PRINTED, at, amount_cents=cents, validation=validation)]

    def _insert_ticket(self, at: float, cents: int, validation: str) -> list[MachineEvent]:
        ok = self.in_service and self.bill_acceptor_enabled and self.ticket_in is None
        if not ok or cents % self.denomination_cents:
            return []  # the machine returns the ticket
        self.ticket_in = TicketIn(amount_cents=cents, validation=validation, at=at)
        return [event(Kind.TICKET_INSERTED, at, amount_cents=cents, validation=validation)]

    def _redeem(self, at: float) -> list[MachineEvent]:
        ticket, self.ticket_in = self.ticket_in, None
        assert ticket is not None, "an escrow ends only while a ticket is in it"
        credits, m = ticket.amount_cents // self.denomination_cents, self.meters
        self.credits += credits
        m.ticket_in_cents += ticket.amount_cents
        m.tickets_in += 1
        m.total_drop += credits
        cents, validation = ticket.amount_cents, ticket.validation
        return [event(Kind.TICKET_REDEEMED, at, amount_cents=cents, validation=validation)]

    def _open_door(self, at: float, door: Door, token: int) -> list[MachineEvent]:
        self._doors[door] = token
        if door is Door.SLOT:
            self.meters.slot_door_opened += 1
        return [event(Kind.DOOR_OPENED, at, door=door.value)]

    def _close_door(self, at: float, door: Door) -> list[MachineEvent]:
        if self._doors.pop(door, None) is None:
            return []
        if door is Door.SLOT:
            self.games_since_door = 0
        return [event(Kind.DOOR_CLOSED, at, door=door.value)]

    def _card_out(self, at: float) -> list[MachineEvent]:
        card, self.card = self.card, None
        return [] if card is None else [event(Kind.PLAYER_CARD_REMOVED, at, card=card)]

    def _power_on(self, at: float) -> list[MachineEvent]:
        self.powered = True
        self.meters.power_resets += 1
        self.games_since_power = 0
        return [event(Kind.POWER_APPLIED, at)]

    def _reset_meters(self, at: float) -> list[MachineEvent]:
        self.meters = Meters()
        self.credits = self.games_since_power = self.games_since_door = 0
        self.handpay = self.ticket_in = self.last_bill = None
        self.tickets.clear()
        return [event(Kind.METERS_RESET, at)]
