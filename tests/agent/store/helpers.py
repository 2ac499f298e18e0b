"""Shared builders for the store tests (plain functions: every test runs its own loop)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.events.envelope import Channel, Event, StoredEvent
from agent.store import Store, StoreHooks, StoreOptions

AGENT = "floor-1"
T0 = datetime(2026, 11, 22, 10, 15, 3, 120000, tzinfo=UTC)


def event(
    n: int = 0,
    *,
    machine: str = "Slot-A12",
    line: str = "bank-a",
    name: str = "billAccepted",
    channel: Channel = Channel.CASH,
    at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    return Event(
        event=name,
        channel=channel,
        timestamp=at or datetime.now(UTC),
        machine=machine,
        line=line,
        protocol="sas",
        data={"n": n, "amount_cents": 2000} if data is None else data,
        meters={"coin_in": 123400 + n},
        raw={"protocol": "sas", "code": 0x4F},
    )


async def open_store(path: Path, hooks: StoreHooks | None = None, **options: Any) -> Store:
    return await Store.open(path, AGENT, StoreOptions(**options), hooks=hooks)


def machine_events(stored: Sequence[StoredEvent]) -> list[StoredEvent]:
    """The events that came from machines (not the store's own alarms)."""
    return [s for s in stored if s.event.protocol == "sas"]


def names(stored: Sequence[StoredEvent]) -> list[str]:
    return [s.event.event for s in stored]


def raw_rows(path: Path, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Query the file with a plain connection (what a technician would see)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
