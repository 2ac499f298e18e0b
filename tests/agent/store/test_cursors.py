"""Sink cursors: registration, monotonic and durable advances, depth (cursors.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.store import StoreHooks, UnknownSinkError

from .helpers import event, open_store, raw_rows


def test_cursors_start_at_zero_move_forward_only_and_survive_restarts(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> None:
        store = await open_store(path)
        async with store:
            assert await store.register_sinks(["amqp", "wss", "amqp"]) == {"amqp": 0, "wss": 0}
            await store.append([event(n) for n in range(10)])
            assert await store.advance("amqp", 7) == 7
            assert await store.advance("amqp", 3) == 7  # a stale ack is ignored
            assert await store.advance("amqp", 7) == 7
            assert store.cursor("amqp") == 7
            assert store.sinks() == {"amqp": 7, "wss": 0}
        store = await open_store(path)
        async with store:
            assert store.sinks() == {"amqp": 7, "wss": 0}
            assert await store.register_sinks(["amqp", "wss"]) == {"amqp": 7, "wss": 0}

    asyncio.run(scenario())
    assert raw_rows(path, "SELECT name, seq, active FROM sink_cursors ORDER BY name") == [
        ("amqp", 7, 1),
        ("wss", 0, 1),
    ]


def test_misuse_of_cursors_raises(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite") as store:
            await store.register_sinks(["amqp"])
            await store.append([event(1)])
            with pytest.raises(UnknownSinkError, match="'webhook' is not registered"):
                store.cursor("webhook")
            with pytest.raises(UnknownSinkError):
                await store.advance("webhook", 1)
            with pytest.raises(ValueError, match="past the last seq"):
                await store.advance("amqp", 2)
            with pytest.raises(ValueError, match="must not be empty"):
                await store.register_sinks([""])

    asyncio.run(scenario())


def test_advances_ride_in_the_same_group_commit_as_appends(tmp_path: Path) -> None:
    commits: list[int] = []

    async def scenario() -> None:
        store = await open_store(
            tmp_path / "e.sqlite", StoreHooks(after_commit=commits.append), group_commit_ms=30
        )
        async with store:
            await store.register_sinks(["amqp"])
            await store.append([event(1), event(2)])
            commits.clear()
            await asyncio.gather(store.advance("amqp", 2), store.append([event(3)]))
            assert commits == [1]
            assert store.cursor("amqp") == 2

    asyncio.run(scenario())


def test_an_advance_racing_a_deregistration_is_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite", group_commit_ms=30) as store:
            await store.register_sinks(["amqp", "wss"])
            await store.append([event(1), event(2)])
            advance = asyncio.create_task(store.advance("wss", 2))
            await asyncio.sleep(0)
            too_far = asyncio.create_task(store.advance("amqp", 2))
            await asyncio.sleep(0)
            await store.register_sinks(["amqp"])
            with pytest.raises(UnknownSinkError):
                await advance
            assert await too_far == 2

    asyncio.run(scenario())


def test_depth_follows_the_slowest_sink(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite") as store:
            assert store.depth().count == 0
            await store.register_sinks(["amqp", "wss"])
            stored = await store.append([event(n) for n in range(5)])
            await store.advance("amqp", 5)
            await store.advance("wss", 2)
            assert store.depth("amqp").count == 0
            assert store.depth("amqp").oldest is None
            assert store.depth("wss").count == 3
            assert store.depth("wss").oldest == stored[2].event.timestamp
            assert store.depth().count == 3
            # wss is removed from the configuration: it no longer holds anything back
            await store.register_sinks(["amqp"])
            assert store.depth().count == 0
            with pytest.raises(UnknownSinkError):
                store.depth("wss")

    asyncio.run(scenario())


def test_new_and_returning_sinks_start_at_the_oldest_stored_row(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite") as store:
            await store.register_sinks(["amqp", "wss"])
            old = datetime.now(UTC) - timedelta(days=30)
            await store.append([event(n, at=old) for n in range(6)])
            await store.append([event(n) for n in range(6, 10)])
            await store.advance("amqp", 10)
            await store.register_sinks(["amqp"])  # wss leaves with its cursor at 0
            assert (await store.maintain()).deleted == 6
            cursors = await store.register_sinks(["amqp", "wss", "webhook"])
            # rows 1..6 are gone: both start just before the oldest one left
            assert cursors == {"amqp": 10, "wss": 6, "webhook": 6}
            assert store.depth("webhook").count == 4
            await store.advance("amqp", 10)
            await store.advance("wss", 10)
            await store.advance("webhook", 10)
            assert (await store.maintain(datetime.now(UTC) + timedelta(days=8))).deleted == 4
            assert await store.register_sinks(["late"]) == {"late": 10}  # empty: from the top

    asyncio.run(scenario())
