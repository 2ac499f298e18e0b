"""Scripted incidents: the kinds a scenario may name, their parameters, checks.

One table says which parameters each kind takes. ``parse_incident`` checks a
kind and its parameters and returns an ``Incident``; the scenario loader
calls it when a file is read and ``MachineModel.incident`` when the incident
happens, so a bad incident fails at load time. Errors are ``ValueError``
with a message that names the kind, the parameter and what was expected.

=================  =============================  ===================================
kind               parameters (all optional)      effect
=================  =============================  ===================================
door_open          door="slot", seconds=None      opens; closes after seconds if given
door_close         door="slot"                    closes
handpay            amount_credits=handpay limit   jackpot lock-up until reset
tilt               tilt="general", seconds=drawn  tilt; clears after seconds
power_cycle        seconds=drawn                  power lost, applied after seconds
bill               dollars=20                     bill accepted
ticket_out         -                              cash-out by ticket
ticket_in          amount_cents=2000              ticket inserted, redeemed from escrow
card_in            card=drawn, seconds=None       player card in; out after seconds
card_out           -                              player card removed
meters_reset       -                              RAM clear: meters and credits to 0
options_changed    -                              operator changed options
=================  =============================  ===================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Literal, TypeVar, cast, get_args

from simulator.events import Door, Tilt
from simulator.meters import BILL_DOLLARS

IncidentKind = Literal[
    "door_open",
    "door_close",
    "handpay",
    "tilt",
    "power_cycle",
    "bill",
    "ticket_out",
    "ticket_in",
    "card_in",
    "card_out",
    "meters_reset",
    "options_changed",
]
INCIDENT_KINDS: tuple[str, ...] = get_args(IncidentKind)

# kind -> parameter name -> the Incident field it fills
PARAMETERS: dict[str, dict[str, str]] = {
    "door_open": {"door": "door", "seconds": "seconds"},
    "door_close": {"door": "door"},
    "handpay": {"amount_credits": "amount"},
    "tilt": {"tilt": "tilt", "seconds": "seconds"},
    "power_cycle": {"seconds": "seconds"},
    "bill": {"dollars": "amount"},
    "ticket_in": {"amount_cents": "amount"},
    "card_in": {"card": "card", "seconds": "seconds"},
}

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True, slots=True, kw_only=True)
class Incident:
    """A checked scripted incident; ``amount`` is credits, dollars or cents by kind."""

    kind: IncidentKind
    door: Door = Door.SLOT
    tilt: Tilt = Tilt.GENERAL
    seconds: float | None = None
    amount: int | None = None
    card: str | None = None


def parse_incident(kind: str, params: Mapping[str, object]) -> Incident:
    """Check ``kind`` and ``params``; raise ``ValueError`` saying what is wrong."""
    if kind not in INCIDENT_KINDS:
        raise ValueError(
            f"unknown incident kind {kind!r}; expected one of: {', '.join(INCIDENT_KINDS)}"
        )
    allowed = PARAMETERS.get(kind, {})
    door, tilt, seconds, amount, card = Door.SLOT, Tilt.GENERAL, None, None, None
    for name, value in params.items():
        target = allowed.get(name)
        if target is None:
            takes = ", ".join(allowed) or "no parameters"
            raise ValueError(f"incident {kind!r} takes no parameter {name!r} (it takes: {takes})")
        if target == "door":
            door = _member(Door, name, value)
        elif target == "tilt":
            tilt = _member(Tilt, name, value)
        elif target == "seconds":
            seconds = _seconds(name, value)
        elif target == "card":
            card = _card(name, value)
        else:
            amount = _amount(name, value)
    if kind == "bill" and amount is not None and amount not in BILL_DOLLARS:
        notes = ", ".join(map(str, BILL_DOLLARS))
        raise ValueError(f"parameter 'dollars' must be a bank note ({notes}); got {amount}")
    return Incident(
        kind=cast("IncidentKind", kind),
        door=door,
        tilt=tilt,
        seconds=seconds,
        amount=amount,
        card=card,
    )


def _member(enum: type[E], name: str, value: object) -> E:
    for member in enum:
        if member.value == value:
            return member
    choices = ", ".join(str(member.value) for member in enum)
    raise ValueError(f"parameter {name!r} must be one of: {choices}; got {value!r}")


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
        raise ValueError(f"parameter {name!r} must be a number of seconds >= 0; got {value!r}")
    return float(value)


def _amount(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"parameter {name!r} must be a positive integer; got {value!r}")
    return value


def _card(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"parameter {name!r} must be a non-empty string; got {value!r}")
    return value
