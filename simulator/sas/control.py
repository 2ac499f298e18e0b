"""Control long polls of a simulated SAS machine: what the host switches on and off.

``apply_control`` carries out one control poll on the machine's model and
says whether the machine ACKs it (reference §3.2): enable/disable play
(01/02), sound off/on (03/04), bill acceptor on/off (06/07), the notes it
takes (08), one game on or off (09) and real-time events (0E). Each first
runs the model up to ``now`` (what was due happens before the change), and
the model follows the setting: a disabled acceptor stacks no bill, a
disabled game is not played. Game 0 means the whole machine; any game
other than 0 or the machine's one game 1 is NACKed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from protocols.sas import (
    ConfigureBills,
    DisablePlay,
    EnableGame,
    EnablePlay,
    SetBillAcceptor,
    SetRealTimeEvents,
    SetSound,
)

if TYPE_CHECKING:
    from .egm import SasEgm

ControlRequest = (
    EnablePlay
    | DisablePlay
    | SetSound
    | SetBillAcceptor
    | ConfigureBills
    | EnableGame
    | SetRealTimeEvents
)
GAMES = (0, 1)


def apply_control(egm: SasEgm, request: ControlRequest, now: float) -> bool:
    """Apply ``request``; True to ACK it, False to NACK it (a game the machine lacks)."""
    model = egm.model
    egm.report(model.advance(now), now)
    match request:
        case EnablePlay() | DisablePlay():
            model.set_enabled(isinstance(request, EnablePlay), now)
        case SetSound(enabled=enabled):
            model.sound = enabled
        case SetBillAcceptor(enabled=enabled):
            model.set_bill_acceptor(enabled, now)
        case ConfigureBills(dollars=dollars, stay_enabled=stay_enabled):
            model.configure_bills(dollars, stay_enabled=stay_enabled)
        case EnableGame(game=game, enabled=enabled):
            if game not in GAMES:
                return False
            model.game_enabled = enabled
        case SetRealTimeEvents(enabled=enabled):
            egm.rte = enabled
        case _:
            assert_never(request)
    return True
