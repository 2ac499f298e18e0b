"""Shared builders for the SAS mapper tests: a fixed clock, profiles, session events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from agent.events.envelope import Event, StoredEvent
from agent.lines.sas.mapper import MachineInfo, SasEventMapper
from protocols.sas.exception_codes import lookup
from protocols.sas.messages import Features, GameConfiguration, RteEvent, VersionSerial
from protocols.sas.messages.events import EventData
from protocols.sas.session_types import (
    ExceptionReported,
    MachineIdentified,
    MachineProfile,
    MeterMethod,
    MetersRead,
)

NOW = datetime(2026, 11, 22, 10, 15, 3, 120_000, tzinfo=UTC)
DENOMINATION_CODES = {1: 0x01, 5: 0x02, 25: 0x04, 100: 0x06}
"""Cents per credit -> Table C-4 code."""


def clock() -> datetime:
    return NOW


def mapper(override: int | None = None, *, address: int = 1) -> SasEventMapper:
    machines = {address: MachineInfo(id="Slot-A12", denomination_cents=override)}
    return SasEventMapper("bank-a", machines, "USD", clock)


def configuration(denomination_code: int) -> GameConfiguration:
    return GameConfiguration(
        game=None, game_id="AT", additional_id="000", denomination=denomination_code, max_bet=5,
        progressive_group=0, game_options=0, paytable_id="ABC123", base_percent="9068",
    )  # fmt: skip


def profile(denomination_cents: int | None, address: int = 1) -> MachineProfile:
    """A fully identified machine; ``None`` leaves the configuration unread."""
    config = (
        None
        if denomination_cents is None
        else configuration(DENOMINATION_CODES[denomination_cents])
    )
    return MachineProfile(
        address=address,
        version=VersionSerial(version="602", serial="000123"),
        configuration=config,
        features=Features(game=0, features=bytes([0x80, 0x48, 0x01, 0x00])),
        game_count=1,
        enabled_games=(1, 7),
        meter_method=MeterMethod.EXTENDED,
    )


def identified(denomination_cents: int | None, override: int | None = None) -> SasEventMapper:
    """A mapper that has seen one identification of machine 1."""
    m = mapper(override)
    m.map(MachineIdentified(address=1, profile=profile(denomination_cents)))
    return m


def exception(
    code: int, data: EventData | None = None, raw_data: bytes = b"", *, rte: bool = False
) -> ExceptionReported:
    event = RteEvent(code=code, data=data, raw_data=raw_data) if rte or data else None
    return ExceptionReported(address=1, code=code, info=lookup(code), event=event, gate=9)


def meters_read(meters: dict[int, int], reason: str = "periodic") -> MetersRead:
    return MetersRead(
        address=1, meters=meters, reason=reason, rebase=False, method=MeterMethod.SELECTED
    )


def one(events: list[Event]) -> Event:
    assert len(events) == 1, events
    return events[0]


def envelope(event: Event, seq: int = 1) -> dict[str, Any]:
    """The JSON envelope of ``event``, round-tripped through json (so it must serialise)."""
    stored = StoredEvent(seq=seq, id=f"floor-1:{seq:012d}", event=event)
    result: dict[str, Any] = json.loads(json.dumps(stored.envelope()))
    return result
