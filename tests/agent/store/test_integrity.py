"""Integrity at open: bad files are moved aside, a fresh store starts with an alarm."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.events.envelope import StoredEvent
from agent.store import STORE_CORRUPTED, StoreUnavailable
from agent.store.integrity import is_corruption, move_aside

from .helpers import event, names, open_store

STAMP = re.compile(r"^events\.sqlite\.corrupt-\d{8}T\d{6}Z(-\d+)?$")


def open_and_read(path: Path) -> tuple[list[str], dict[str, object], Path | None]:
    async def scenario() -> tuple[list[str], dict[str, object], Path | None]:
        async with await open_store(path) as store:
            rows = store.read()
            await store.append([event(1)])  # and the fresh store works
            moved = store.moved_aside
            return (
                names(rows),
                dict(rows[0].event.data) if rows else {},
                (moved.moved_to if moved else None),
            )

    return asyncio.run(scenario())


def make_store(path: Path, count: int) -> None:
    async def scenario() -> None:
        async with await open_store(path) as store:
            for n in range(count // 100):
                await store.append([event(n * 100 + i) for i in range(100)])

    asyncio.run(scenario())


def test_a_file_that_is_not_sqlite_is_moved_aside_with_its_companions(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    garbage = b"this is not a database, it is a shopping list\n" * 100
    path.write_bytes(garbage)
    Path(f"{path}-wal").write_bytes(b"stale wal")
    Path(f"{path}-shm").write_bytes(b"stale shm")
    seen, data, moved = open_and_read(path)
    assert seen == [STORE_CORRUPTED]
    assert moved is not None
    assert STAMP.match(moved.name)
    assert moved.read_bytes() == garbage
    assert Path(f"{moved}-wal").read_bytes() == b"stale wal"
    assert Path(f"{moved}-shm").exists()  # an index SQLite rebuilds; it holds no data
    assert data["moved_to"] == str(moved)
    assert "not a database" in str(data["reason"])


def test_a_crash_image_with_a_damaged_main_file_but_a_full_wal_is_sound(tmp_path: Path) -> None:
    """The WAL is part of the store: the probe reads through it and keeps it."""
    live, image = tmp_path / "live", tmp_path / "image"
    live.mkdir()
    image.mkdir()

    async def scenario() -> list[StoredEvent]:
        async with await open_store(live / "events.sqlite") as store:
            acked = await store.append([event(n) for n in range(50)])
            for suffix in ("", "-wal", "-shm"):  # what a power cut leaves behind
                shutil.copy(live / f"events.sqlite{suffix}", image / f"events.sqlite{suffix}")
            return acked

    acked = asyncio.run(scenario())
    with (image / "events.sqlite").open("r+b") as f:
        f.write(b"garbage" * 10)  # page 1 is also in the WAL, which wins

    async def reopen() -> list[StoredEvent]:
        async with await open_store(image / "events.sqlite") as store:
            assert store.moved_aside is None
            return store.read()

    assert asyncio.run(reopen()) == acked


def test_a_truncated_store_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    make_store(path, 2000)
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)
    seen, data, moved = open_and_read(path)
    assert seen == [STORE_CORRUPTED]
    assert moved is not None
    assert moved.stat().st_size == size // 2
    assert data["reason"]


def test_a_damaged_page_fails_quick_check(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    make_store(path, 2000)
    page = 4096
    with path.open("r+b") as f:  # scribble over a b-tree page in the middle
        f.seek(page * 20)
        f.write(b"\xff" * page)
    seen, data, _ = open_and_read(path)
    assert seen == [STORE_CORRUPTED]
    assert str(data["reason"])


def test_a_sound_store_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    make_store(path, 200)
    path_empty = tmp_path / "empty.sqlite"
    path_empty.write_bytes(b"")  # a 0-byte file is an empty database, not a corrupt one

    async def scenario() -> None:
        for p, count in ((path, 200), (path_empty, 0)):
            async with await open_store(p) as store:
                assert store.moved_aside is None
                assert len(store.read(limit=1000)) == count

    asyncio.run(scenario())
    assert [p.name for p in tmp_path.iterdir() if "corrupt" in p.name] == []


def test_a_locked_store_is_not_mistaken_for_a_corrupt_one(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="locked"):
            asyncio.run(open_store(path, busy_timeout_ms=50))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert [p.name for p in tmp_path.iterdir() if "corrupt" in p.name] == []


def test_an_unopenable_path_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    path.mkdir()
    with pytest.raises(StoreUnavailable, match="cannot open"):
        asyncio.run(open_store(path))


def test_move_aside_never_overwrites_an_earlier_copy(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    now = datetime(2026, 11, 22, 10, 15, 3, tzinfo=UTC)
    moved = []
    for n in range(3):
        path.write_text(f"bad {n}")
        moved.append(move_aside(path, now))
    assert [p.name for p in moved] == [
        "events.sqlite.corrupt-20261122T101503Z",
        "events.sqlite.corrupt-20261122T101503Z-1",
        "events.sqlite.corrupt-20261122T101503Z-2",
    ]
    assert [p.read_text() for p in moved] == ["bad 0", "bad 1", "bad 2"]
    assert not path.exists()


def test_corruption_is_recognised_by_code_or_message() -> None:
    assert is_corruption(sqlite3.DatabaseError("database disk image is malformed"))
    assert is_corruption(sqlite3.DatabaseError("file is not a database"))
    assert not is_corruption(sqlite3.OperationalError("database is locked"))
    coded = sqlite3.DatabaseError("x")
    coded.sqlite_errorcode = 11
    assert is_corruption(coded)
    coded.sqlite_errorcode = 5
    assert not is_corruption(coded)


def test_fsync_of_the_directory_works_here(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    path.write_text("junk")
    target = move_aside(path, datetime.now(UTC))
    assert target.exists()
    assert os.listdir(tmp_path) == [target.name]
