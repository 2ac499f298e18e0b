"""How busy a simulated machine is, and what its activity looks like.

``ActivityRates`` is the part of a scenario that says how often things
happen ([defaults] and [[groups]] in the TOML). The draw functions below turn
a seeded ``random.Random`` into arrival times, wagers, wins, bills, doors,
tilts and durations.

Rules: every activity is a Poisson process at its rate; a rate of 0 switches
it off. What an occurrence looks like (which note, which door, how long a
door stays open) comes from the fixed tables here, so a scenario chooses
how often, not what. The draws are pure apart from the generator they use.
"""

from __future__ import annotations

import math
import random
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from simulator.events import Door, Tilt

Rate = Annotated[float, Field(ge=0, allow_inf_nan=False)]
T = TypeVar("T")


class ActivityRates(BaseModel):
    """Average rates for one machine on a normally busy floor.

    A machine is not always occupied, so these are averages over time,
    not the pace of one player. ``games_per_minute`` is the pace while
    credits allow play; a game lasts ``MachineModel.game_seconds``, so the
    pace is capped near ``60 / game_seconds``. ``in_play_at_start`` is the
    chance that a player is already at the machine when the simulation
    starts: a first bill within ``FIRST_BILL_SECONDS``, then play, so money
    and game events arrive within seconds of a start (a machine that plays
    no games has no player).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    games_per_minute: Rate = 6.0
    bills_per_hour: Rate = 4.0
    door_openings_per_hour: Rate = 0.5
    handpays_per_hour: Rate = 0.05
    tickets_per_hour: Rate = 1.5  # cash-outs by ticket
    ticket_ins_per_hour: Rate = 1.0
    player_cards_per_hour: Rate = 1.5
    tilts_per_hour: Rate = 0.2
    power_cycles_per_hour: Rate = 0.0
    in_play_at_start: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 1.0


WIN_CHANCE = 0.24
WIN_MULTIPLIERS = ((1, 38), (2, 25), (3, 15), (5, 10), (10, 7), (20, 4), (50, 1))
"""(multiplier, weight): mean 3.83, so the return to player is about 92%."""

BILL_WEIGHTS = ((1, 10), (5, 15), (10, 15), (20, 35), (50, 7), (100, 18))
DOOR_WEIGHTS = (
    (Door.SLOT, 55),
    (Door.DROP, 15),
    (Door.BELLY, 10),
    (Door.CASHBOX, 10),
    (Door.CARD_CAGE, 10),
)
TILT_WEIGHTS = (
    (Tilt.BILL_JAM, 30),
    (Tilt.PRINTER_PAPER_OUT, 25),
    (Tilt.REEL, 10),
    (Tilt.GENERAL, 10),
    (Tilt.PRINTER_COMMUNICATION, 10),
    (Tilt.COIN_IN, 5),
    (Tilt.HOPPER_EMPTY, 10),
)
FIRST_BILL_SECONDS = (0.5, 3.0)
"""When the first bill of a machine in play at the start comes (uniform, seconds)."""
MIN_GAME_GAP = 0.5
"""Shortest mean pause between two games (seconds): the player presses spin again."""


def after(rng: random.Random, at: float, per_hour: float) -> float:
    """The next arrival of a Poisson process at ``per_hour`` after ``at`` (inf when off)."""
    if per_hour <= 0:
        return math.inf
    return at + rng.expovariate(per_hour / 3600)


def next_game(rng: random.Random, at: float, per_minute: float, game_seconds: float) -> float:
    """When the player tries the next game: the game's length, then a pause."""
    if per_minute <= 0:
        return math.inf
    return at + game_seconds + rng.expovariate(1 / game_gap(per_minute, game_seconds))


def game_gap(per_minute: float, game_seconds: float) -> float:
    """Mean pause between games so that games start about ``per_minute`` a minute."""
    return max(60 / per_minute - game_seconds, MIN_GAME_GAP)


def _pick(rng: random.Random, table: tuple[tuple[T, int], ...]) -> T:
    values = [value for value, _ in table]
    return rng.choices(values, [weight for _, weight in table])[0]


def wager(rng: random.Random, max_bet: int) -> int:
    return rng.randint(1, max_bet)


def win(rng: random.Random, bet: int) -> int:
    """Credits won by a game of ``bet`` credits (0 = lost)."""
    if rng.random() >= WIN_CHANCE:
        return 0
    return bet * _pick(rng, WIN_MULTIPLIERS)


def jackpot(rng: random.Random, limit_credits: int) -> int:
    """A big win at or above the handpay limit, up to twice it."""
    return limit_credits + rng.randrange(limit_credits + 1)


def bill(rng: random.Random) -> int:
    """Dollars of the note a player inserts."""
    return _pick(rng, BILL_WEIGHTS)


def door(rng: random.Random) -> Door:
    return _pick(rng, DOOR_WEIGHTS)


def tilt(rng: random.Random) -> Tilt:
    return _pick(rng, TILT_WEIGHTS)


def seconds(rng: random.Random, mean: float, low: float, high: float) -> float:
    """An exponential duration of ``mean`` seconds, kept within ``low..high``."""
    return min(max(rng.expovariate(1 / mean), low), high)


def door_seconds(rng: random.Random) -> float:
    return seconds(rng, 60.0, 5.0, 900.0)


def tilt_seconds(rng: random.Random) -> float:
    return seconds(rng, 30.0, 2.0, 300.0)


def outage_seconds(rng: random.Random) -> float:
    return seconds(rng, 20.0, 2.0, 120.0)


def card_seconds(rng: random.Random) -> float:
    """How long a player keeps a card in: a session of about 20 minutes."""
    return seconds(rng, 1200.0, 30.0, 4 * 3600.0)


def card(rng: random.Random) -> str:
    return str(rng.randrange(10**9, 10**10))


def validation(rng: random.Random) -> str:
    """A 16-digit validation number (reference §3.9)."""
    return f"{rng.randrange(10**16):016d}"


def ticket_cents(rng: random.Random, denomination_cents: int) -> int:
    """A ticket a player brings from another machine, in whole credits of this one."""
    cents = rng.randint(100, 20_000)
    return max(cents - cents % denomination_cents, denomination_cents)


def seeded(seed: int, machine_index: int) -> random.Random:
    """A per-machine random generator derived from the scenario seed."""
    return random.Random(seed * 1_000_003 + machine_index)
