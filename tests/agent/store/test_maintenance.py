"""Retention of the look-back window (maintenance.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .helpers import event, open_store

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_retention_deletes_only_delivered_and_old_rows(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite", maintenance_chunk=3) as store:
            await store.register_sinks(["amqp", "wss"])
            old = [event(n, at=NOW - timedelta(days=8, minutes=n)) for n in range(10)]
            new = [event(n, at=NOW - timedelta(days=6)) for n in range(10, 15)]
            await store.append(old + new)
            await store.advance("amqp", 15)
            await store.advance("wss", 7)  # rows 8..15 are not delivered to wss
            report = await store.maintain(NOW)
            assert report.deleted == 7
            assert report.delivered_seq == 7
            assert report.size_bytes > 0
            assert not report.full
            assert [s.seq for s in store.read()] == list(range(8, 16))
            await store.advance("wss", 15)
            assert (await store.maintain(NOW)).deleted == 3  # the rest of the old ones
            assert [s.seq for s in store.read()] == list(range(11, 16))
            assert store.stats.deleted_retention == 10

    asyncio.run(scenario())


def test_without_sinks_events_are_kept_for_the_window_only(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite", retention_days=1) as store:
            await store.append([event(1, at=NOW - timedelta(hours=25))])
            await store.append([event(2, at=NOW - timedelta(hours=23))])
            assert (await store.maintain(NOW)).deleted == 1
            assert [s.event.data["n"] for s in store.read()] == [2]

    asyncio.run(scenario())


def test_maintain_defaults_to_now(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite") as store:
            await store.append([event(1, at=datetime.now(UTC) - timedelta(days=7, seconds=5))])
            await store.append([event(2)])
            assert (await store.maintain()).deleted == 1

    asyncio.run(scenario())
