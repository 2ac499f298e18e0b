"""What a simulated machine does, in protocol-neutral words.

The machine model (``model.py``) produces ``MachineEvent`` values; each
protocol front-end maps them to its own wire codes (``sas_egm.py`` maps them
to SAS exception codes) and records what it reported in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Door(Enum):
    SLOT = "slot"
    DROP = "drop"
    CARD_CAGE = "card_cage"
    CASHBOX = "cashbox"
    BELLY = "belly"


class Tilt(Enum):
    GENERAL = "general"
    COIN_IN = "coin_in"
    HOPPER_EMPTY = "hopper_empty"
    REEL = "reel"
    BILL_JAM = "bill_jam"
    PRINTER_PAPER_OUT = "printer_paper_out"
    PRINTER_COMMUNICATION = "printer_communication"


class Kind(Enum):
    """Everything a simulated machine can report."""

    GAME_STARTED = "game_started"  # wager_credits, coin_in (meter after the bet)
    GAME_ENDED = "game_ended"  # win_credits
    BILL_ACCEPTED = "bill_accepted"  # dollars
    DOOR_OPENED = "door_opened"  # door
    DOOR_CLOSED = "door_closed"  # door
    CASHBOX_REMOVED = "cashbox_removed"
    CASHBOX_INSTALLED = "cashbox_installed"
    HANDPAY_PENDING = "handpay_pending"  # amount_credits
    HANDPAY_RESET = "handpay_reset"  # amount_credits
    TICKET_PRINTED = "ticket_printed"  # amount_cents, validation (16 digits)
    TICKET_INSERTED = "ticket_inserted"  # amount_cents, validation
    TICKET_REDEEMED = "ticket_redeemed"  # amount_cents, validation (escrow -> credits)
    TILT = "tilt"  # tilt
    POWER_LOST = "power_lost"
    POWER_APPLIED = "power_applied"
    PLAYER_CARD_INSERTED = "player_card_inserted"  # card
    PLAYER_CARD_REMOVED = "player_card_removed"  # card
    CASHOUT_PRESSED = "cashout_pressed"
    METERS_RESET = "meters_reset"
    OPTIONS_CHANGED = "options_changed"


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineEvent:
    """One thing that happened on a machine at ``at`` (simulation seconds)."""

    kind: Kind
    at: float
    data: dict[str, int | str] = field(default_factory=dict)
