"""Schema, migrations and connection settings (agent/store/schema.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent.store import StoreHooks, StoreOptions, StoreSchemaError, WhenFull
from agent.store.schema import MIGRATIONS, known_migrations

from .helpers import open_store, raw_rows


def test_fresh_store_has_the_tables_indexes_and_version(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> None:
        store = await open_store(path)
        await store.close()

    asyncio.run(scenario())
    db = Database(path)
    try:
        assert {"events", "sink_cursors", "_sqlite_migrations", "sqlite_sequence"} <= set(
            db.table_names()
        )
        assert "AUTOINCREMENT" in db.table("events").schema
        indexes = {ix.name: ix.columns for ix in db.table("events").indexes}
        assert indexes["events_machine_seq"] == ["machine", "seq"]
        assert indexes["events_timestamp"] == ["timestamp"]
        assert db.table("sink_cursors").pks == ["name"]
        assert [m.name for m in MIGRATIONS.applied(db)] == known_migrations()
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(known_migrations())
        assert db.journal_mode == "wal"
    finally:
        db.close()


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> None:
        for _ in range(3):
            store = await open_store(path)
            await store.close()

    asyncio.run(scenario())
    applied = raw_rows(path, "SELECT name FROM _sqlite_migrations")
    assert len(applied) == len(known_migrations())


def test_writer_commits_with_synchronous_full(tmp_path: Path) -> None:
    seen: list[int] = []

    def on_connect(conn: sqlite3.Connection) -> None:
        seen.append(conn.execute("PRAGMA synchronous").fetchone()[0])
        seen.append(conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal")

    async def scenario() -> None:
        store = await open_store(tmp_path / "e.sqlite", StoreHooks(on_connect=on_connect))
        await store.close()

    asyncio.run(scenario())
    assert seen == [2, True]  # 2 = FULL


def test_a_store_from_a_newer_agent_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def create() -> None:
        store = await open_store(path)
        await store.close()

    asyncio.run(create())
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('floor-agent-store', '9999_from_the_future', 'later')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(StoreSchemaError, match="newer floor-agent"):
        asyncio.run(open_store(path))
    assert sorted(p.name for p in tmp_path.iterdir() if "corrupt" in p.name) == []


def test_a_foreign_database_with_an_events_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreSchemaError, match="not a floor-agent store"):
        asyncio.run(open_store(path))


@pytest.mark.parametrize(
    "bad",
    [
        {"group_commit_ms": -1},
        {"retention_days": -1},
        {"max_size_mb": 0},
        {"maintenance_chunk": 0},
        {"read_connections": -1},
        {"when_full": "panic"},
    ],
)
def test_options_are_validated(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        StoreOptions(**bad)  # type: ignore[arg-type]


def test_options_defaults() -> None:
    options = StoreOptions()
    assert options.group_commit_ms == 2
    assert options.retention_days == 7
    assert options.max_bytes == 1024 * 1024 * 1024
    assert options.when_full is WhenFull.DROP_DELIVERED_FIRST
    assert StoreOptions(when_full="stop_acknowledging").when_full is WhenFull.STOP_ACKNOWLEDGING  # type: ignore[arg-type]
