"""The meters of a simulated machine, their invariants and their SAS codes.

``Meters`` holds raw, unbounded ints: the model never rolls a meter over.
The SAS front-end applies the rollover when it encodes a value
(``rollover(value)`` for a 4-byte BCD meter, ``rollover(value, 10)`` for a
5-byte cents meter; reference §3.0: a 4-byte meter rolls over at 10^8).

Units follow Table C-7 (reference §5): credits of the machine's
denomination, except the ``*_cents`` meters (cents) and the counts.

Invariants (``Meters.errors`` lists the ones that fail):

* credits == bills_credits + ticket_in_cents / denom + coin_out
  - coin_in - cancelled_credits  (the credit meter is what came in, plus
  what the machine paid, minus what was wagered and cashed out)
* games_played == games_won + games_lost
* total_drop == bills_credits + ticket_in_cents / denom
* cancelled_credits == ticket_out_cents / denom + handpaid_cancelled_credits
* bills_credits == the value of bills_by_dollars, in credits
* ticket amounts are whole credits; no meter and no credit is negative
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

BILL_DOLLARS: tuple[int, ...] = (
    1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000,
    10_000, 20_000, 25_000, 50_000, 100_000, 200_000, 250_000, 500_000, 1_000_000,
)  # fmt: skip
"""Notes in the order of meter codes 0x40-0x57 and of bill codes (Table C-6, §3.6)."""

BILLS_FIRST_METER = 0x40
ZERO_METERS: tuple[int, ...] = (
    0x08, 0x09, 0x0A, 0x0F, 0x10, 0x13, 0x14, 0x17, 0x18, 0x19, 0x1B, 0x1D, 0x1E, 0x20, 0x21,
    0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0x34, 0x36, 0x37, 0x39,
    0xA0, 0xA1, 0xB8, 0xB9,
)  # fmt: skip
"""Meters this machine supports but never moves (no coins, no AFT, no restricted credit)."""


def rollover(value: int, digits: int = 8) -> int:
    """``value`` as a BCD meter of ``digits`` digits shows it (4 bytes = 8 digits)."""
    modulus: int = 10**digits
    return value % modulus


@dataclass(slots=True, kw_only=True)
class Meters:
    """Lifetime meters of one machine (reset only by a RAM clear)."""

    coin_in: int = 0  # credits wagered
    coin_out: int = 0  # credits won and paid by the machine
    jackpot: int = 0  # credits of attendant-paid (handpay) wins
    cancelled_credits: int = 0  # credits cashed out, by ticket or handpay
    handpaid_cancelled_credits: int = 0  # credits cashed out by handpay
    games_played: int = 0
    games_won: int = 0
    games_lost: int = 0
    bills_credits: int = 0  # credits from bills
    total_drop: int = 0  # credits from bills and tickets in
    ticket_in_cents: int = 0
    ticket_out_cents: int = 0
    tickets_in: int = 0  # count
    tickets_out: int = 0  # count
    bills_by_dollars: dict[int, int] = field(default_factory=dict)  # note -> count
    slot_door_opened: int = 0  # count
    power_resets: int = 0  # count

    def counters(self) -> dict[str, int]:
        """Every int meter by name (all but ``bills_by_dollars``)."""
        return {
            f.name: value for f in fields(self) if isinstance(value := getattr(self, f.name), int)
        }

    def copy(self) -> Meters:
        """An independent snapshot."""
        return replace(self, bills_by_dollars=dict(self.bills_by_dollars))

    def errors(self, credits: int, denomination_cents: int) -> list[str]:
        """The invariants of the module docstring that do not hold (empty when sound)."""
        d = denomination_cents
        ticket_in = self.ticket_in_cents // d
        bills_cents = sum(dollars * 100 * count for dollars, count in self.bills_by_dollars.items())
        checks = {
            "credits == bills + ticket in + coin out - coin in - cancelled": credits
            == self.bills_credits
            + ticket_in
            + self.coin_out
            - self.coin_in
            - self.cancelled_credits,
            "games played == games won + games lost": self.games_played
            == self.games_won + self.games_lost,
            "total drop == bills + ticket in": self.total_drop == self.bills_credits + ticket_in,
            "cancelled == ticket out + hand-paid cancelled": self.cancelled_credits * d
            == self.ticket_out_cents + self.handpaid_cancelled_credits * d,
            "bills by note == bills credits": bills_cents == self.bills_credits * d,
            "ticket amounts are whole credits": self.ticket_in_cents % d == 0
            and self.ticket_out_cents % d == 0,
            "nothing negative": credits >= 0
            and all(v >= 0 for v in self.counters().values())
            and all(v >= 0 for v in self.bills_by_dollars.values()),
        }
        return [name for name, holds in checks.items() if not holds]

    def sas(
        self,
        *,
        credits: int,
        denomination_cents: int,
        games_since_power: int,
        games_since_door: int,
    ) -> dict[int, int]:
        """Raw values by Table C-7 meter code: the core accounting set and more (§5)."""
        d = denomination_cents
        ticket_in, ticket_out = self.ticket_in_cents // d, self.ticket_out_cents // d
        codes = {
            0x00: self.coin_in,
            0x01: self.coin_out,
            0x02: self.jackpot,
            0x03: self.handpaid_cancelled_credits,
            0x04: self.cancelled_credits,
            0x05: self.games_played,
            0x06: self.games_won,
            0x07: self.games_lost,
            0x0B: self.bills_credits,
            0x0C: credits,
            0x0D: self.ticket_in_cents,
            0x0E: self.ticket_out_cents,
            0x11: self.tickets_in,
            0x12: self.tickets_out,
            0x15: ticket_in,
            0x16: ticket_out,
            0x1A: self.coin_in,  # non-restricted amount played: all play is cashable
            0x1C: self.coin_out,  # machine-paid paytable win
            0x1F: self.jackpot,  # attendant-paid paytable win
            0x22: self.coin_out + self.jackpot,
            0x23: self.handpaid_cancelled_credits + self.jackpot,
            0x24: self.total_drop,
            0x25: games_since_power,
            0x26: games_since_door,
            0x28: ticket_in,
            0x29: ticket_in,
            0x2C: ticket_out,
            0x35: self.tickets_in,
            0x38: self.tickets_out,
            0x80: self.ticket_in_cents,
            0x81: self.tickets_in,
            0x86: self.ticket_out_cents,
            0x87: self.tickets_out,
        }
        codes |= dict.fromkeys(ZERO_METERS, 0)
        for offset, dollars in enumerate(BILL_DOLLARS):
            codes[BILLS_FIRST_METER + offset] = self.bills_by_dollars.get(dollars, 0)
        return dict(sorted(codes.items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketRecord:
    """A printed ticket as LP 4D reports it (reference §3.9)."""

    amount_cents: int
    validation: str  # 16 digits
    at: float  # simulation seconds when printed
    sequence: int  # 1, 2, ... per machine (LP 4D ticket number, modulo 65536 on the wire)
