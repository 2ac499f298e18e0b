"""Canonical remote actions: what an operator may ask a machine to do, in any protocol.

The names are those of the WebSocket protocol (docs/protocols/websocket.md)
and the REST API: ``enableMachine``, ``disableMachine``, ``resetHandpay``,
``setTime`` (with ``time``), ``readMeters`` and ``setRealTimeEvents`` (with
``enabled``). Each protocol adapter encodes an ``Action`` into its own
command, or refuses it (``ActionNotSupported``). The REST API also accepts
the short names ``enable`` and ``disable`` it had before (``ALIASES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

ActionName = Literal[
    "enableMachine", "disableMachine", "resetHandpay", "setTime", "readMeters", "setRealTimeEvents"
]
ACTION_NAMES: tuple[ActionName, ...] = get_args(ActionName)
ALIASES: dict[str, ActionName] = {"enable": "enableMachine", "disable": "disableMachine"}
_BY_NAME: dict[str, ActionName] = {**{name: name for name in ACTION_NAMES}, **ALIASES}


def action_name(name: str) -> ActionName:
    """The canonical name of ``name`` (an alias resolved); ValueError if it is no action."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"not an action: {name!r}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One canonical action with its arguments (``time`` for setTime, ``enabled`` for
    setRealTimeEvents); an argument an action needs but was not given is a ValueError."""

    name: ActionName
    time: datetime | None = None
    """For ``setTime``: the moment to set (aware); ``None`` means now."""
    enabled: bool | None = None

    def __post_init__(self) -> None:
        if self.name not in ACTION_NAMES:
            raise ValueError(f"not an action: {self.name!r}")
        if self.name == "setRealTimeEvents" and self.enabled is None:
            raise ValueError("setRealTimeEvents needs 'enabled' (true or false)")
        if self.time is not None and self.time.tzinfo is None:
            raise ValueError("setTime needs a time with a UTC offset")
