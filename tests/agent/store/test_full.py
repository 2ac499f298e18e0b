"""A full store: the size bound, its two policies, and a really full file (writer.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.events.envelope import StoredEvent
from agent.store import STORE_FULL, STORE_RECOVERED, Store, StoreFull, StoreHooks, WhenFull

from .helpers import event, machine_events, names, open_store

PAYLOAD = {"text": "x" * 500}


def is_full(store: Store) -> bool:  # a call, so mypy does not narrow a property
    return store.full


def is_healthy(store: Store) -> bool:
    return store.healthy


async def fill(store: Store, limit: int = 5000) -> list[StoredEvent]:
    """Append one event at a time until the store refuses; return what was acknowledged."""
    acked: list[StoredEvent] = []
    for n in range(limit):
        try:
            acked += await store.append([event(n, data={**PAYLOAD, "n": n})])
        except StoreFull:
            return acked
    raise AssertionError("the store never filled up")


def bound_page_count(extra_pages: int) -> StoreHooks:
    """Make SQLite itself report "database or disk is full" after a few more pages."""

    def on_connect(conn: sqlite3.Connection) -> None:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + extra_pages}")

    return StoreHooks(on_connect=on_connect)


def test_stop_acknowledging_keeps_the_window_and_alarms_once(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> None:
        store = await open_store(path, max_size_mb=0.1, when_full=WhenFull.STOP_ACKNOWLEDGING)
        async with store:
            await store.register_sinks(["amqp"])
            acked = await fill(store)
            assert len(acked) > 20
            assert is_full(store)
            assert not is_healthy(store)
            for _ in range(3):
                with pytest.raises(StoreFull, match="size bound"):
                    await store.append([event(1)])
            await store.advance("amqp", store.last_seq())
            with pytest.raises(StoreFull):  # delivered, but still inside the window
                await store.append([event(1)])
            rows = store.read(limit=10_000)
            assert machine_events(rows) == acked  # nothing acknowledged was dropped
            assert names(rows).count(STORE_FULL) == 1
            alarm = next(r for r in rows if r.event.event == STORE_FULL)
            assert alarm.event.data["cause"] == "bound"
            assert alarm.event.data["policy"] == "stop_acknowledging"
            assert alarm.event.data["max_bytes"] == int(0.1 * 1024 * 1024)
            assert store.stats.rejected_full == 5

            report = await store.maintain(datetime.now(UTC) + timedelta(days=8))
            assert report.deleted == len(rows)
            assert report.full  # until an append succeeds
            later = await store.append([event(999)])
            assert not is_full(store)
            assert is_healthy(store)
            tail = store.read()
            assert names(tail) == [STORE_RECOVERED, "billAccepted"]
            assert tail[1] == later[0]
            assert tail[0].event.data["refused_batches"] == 5

    asyncio.run(scenario())


def test_drop_delivered_first_makes_room_but_never_drops_undelivered(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(tmp_path / "e.sqlite", max_size_mb=0.1)
        async with store:
            await store.register_sinks(["amqp"])
            acked = await fill(store)  # nothing delivered: nothing may be dropped
            assert is_full(store)
            assert len(machine_events(store.read(limit=10_000))) == len(acked)
            half = acked[len(acked) // 2].seq
            await store.advance("amqp", half)
            more = await store.append([event(1)])
            assert not is_full(store)
            assert store.stats.dropped_delivered > 0
            rows = store.read(limit=10_000)
            undelivered = [r for r in rows if r.seq > half]
            assert [r.seq for r in undelivered] == list(range(half + 1, more[0].seq + 1))
            assert names(rows)[-2:] == [STORE_RECOVERED, "billAccepted"]
            # a sink that keeps up: the store never refuses again
            for n in range(100):
                stored = await store.append([event(n, data={**PAYLOAD, "n": n})])
                await store.advance("amqp", stored[-1].seq)
            assert not is_full(store)
            assert store.read(after_seq=store.last_seq() - 1)[0].event.data["n"] == 99

    asyncio.run(scenario())


def test_a_store_that_stopped_full_records_recovery_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> None:
        store = await open_store(path, max_size_mb=0.1, when_full="stop_acknowledging")
        async with store:
            await fill(store)
        store = await open_store(path, max_size_mb=None)
        async with store:
            assert is_full(store)  # until an append proves otherwise
            await store.append([event(1)])
            assert not is_full(store)
            assert names(store.read(after_seq=store.last_seq() - 2)) == [
                STORE_RECOVERED,
                "billAccepted",
            ]

    asyncio.run(scenario())


def test_a_really_full_file_refuses_and_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> None:
        store = await open_store(
            path, bound_page_count(12), max_size_mb=None, when_full="stop_acknowledging"
        )
        async with store:
            await store.register_sinks(["amqp"])
            acked = await fill(store)
            assert is_full(store)
            assert "disk is full" in (store.last_error or "")
            with pytest.raises(StoreFull):
                await store.append([event(1)])
            await store.advance("amqp", store.last_seq())  # a cursor still fits
            assert store.cursor("amqp") == acked[-1].seq
            await store.maintain(datetime.now(UTC) + timedelta(days=8))
            await store.append([event(2)])  # retention freed pages: accepted again
            assert not is_full(store)
        store = await open_store(path)
        async with store:
            rows = store.read(limit=10_000)
        assert names(rows) == [STORE_FULL, STORE_RECOVERED, "billAccepted"]
        assert rows[0].event.data["cause"] == "disk"

    asyncio.run(scenario())


def test_a_really_full_file_with_drop_delivered_first(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(tmp_path / "e.sqlite", bound_page_count(12), max_size_mb=None)
        async with store:
            await store.register_sinks(["amqp"])
            acked = await fill(store)
            await store.advance("amqp", acked[-1].seq)
            later = await store.append([event(1)])  # delivered rows dropped to make room
            assert store.stats.dropped_delivered > 0
            assert names(store.read(after_seq=later[0].seq - 3)) == [
                STORE_FULL,
                STORE_RECOVERED,
                "billAccepted",
            ]

    asyncio.run(scenario())
