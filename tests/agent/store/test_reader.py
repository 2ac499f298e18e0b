"""Reading: filters, paging, follow(), concurrent readers while writing (reader.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.events.envelope import Channel, StoredEvent
from agent.store import Store, StoreClosed

from .helpers import T0, event, open_store


async def seed(store: Store) -> list[StoredEvent]:
    events = [
        event(0, machine="A", at=T0),
        event(1, machine="B", name="doorOpened", channel=Channel.ENTRIES, at=T0),
        event(2, machine="A", name="gameEnded", channel=Channel.GAME, at=T0 + timedelta(hours=1)),
        event(3, machine="B", at=T0 + timedelta(hours=2)),
        event(4, machine="A", at=T0 + timedelta(hours=3)),
    ]
    return await store.append(events)


def test_filters_and_paging(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite") as store:
            stored = await seed(store)

            def ns(rows: list[StoredEvent]) -> list[int]:
                return [r.event.data["n"] for r in rows]

            assert store.read() == stored
            assert ns(store.read(after_seq=2, limit=2)) == [2, 3]
            assert ns(store.read(machine="A")) == [0, 2, 4]
            assert ns(store.read(machine="A", after_seq=1)) == [2, 4]
            assert ns(store.read(channel=Channel.CASH)) == [0, 3, 4]
            assert ns(store.read(channel="entries")) == [1]
            assert ns(store.read(event="gameEnded")) == [2]
            assert ns(store.read(since=T0 + timedelta(hours=1))) == [2, 3, 4]
            assert ns(store.read(until=T0 + timedelta(hours=2))) == [0, 1, 2]
            assert ns(
                store.read(since=T0 + timedelta(minutes=30), until=T0 + timedelta(hours=3))
            ) == [2, 3]
            assert store.read(machine="nobody") == []
            for bad in (0, 10_001):
                with pytest.raises(ValueError, match="limit"):
                    store.read(limit=bad)

    asyncio.run(scenario())


def test_follow_wakes_on_commit_and_ends_on_close(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(tmp_path / "e.sqlite")
        await store.append([event(0), event(1)])
        got: list[int] = []

        async def tail() -> None:
            async for ev in store.follow(1, page=2):
                got.append(ev.seq)

        async def until(count: int) -> None:
            for _ in range(500):
                if len(got) >= count:
                    return
                await asyncio.sleep(0.01)

        reads = 0
        real_read = store.read

        def counting_read(*args: Any, **kwargs: Any) -> list[StoredEvent]:
            nonlocal reads
            reads += 1
            return real_read(*args, **kwargs)

        store.read = counting_read  # type: ignore[method-assign]
        task = asyncio.create_task(tail())
        await until(1)
        assert got == [2]
        idle = reads
        await asyncio.sleep(0.1)
        assert reads == idle  # asleep until a commit, not polling
        await store.append([event(2), event(3), event(4)])
        await until(4)
        assert got == [2, 3, 4, 5]
        await store.close()
        await asyncio.wait_for(task, 1)

    asyncio.run(scenario())


def test_follow_with_a_filter_skips_what_it_has_examined(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite") as store:
            got: list[str] = []

            async def tail() -> None:
                async for ev in store.follow(machine="B"):
                    got.append(ev.event.event)
                    if len(got) == 3:
                        return

            task = asyncio.create_task(tail())
            await seed(store)  # two for B
            await asyncio.sleep(0.02)
            await store.append([event(9, machine="A")])
            await asyncio.sleep(0.02)
            await store.append([event(10, machine="B", name="doorClosed")])
            await asyncio.wait_for(task, 1)
            assert got == ["doorOpened", "billAccepted", "doorClosed"]

    asyncio.run(scenario())


def test_readers_see_committed_prefixes_while_the_writer_works(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite", read_connections=2) as store:
            stop = asyncio.Event()

            async def produce(line: int) -> None:
                for n in range(25):
                    await store.append([event(n, line=f"l{line}"), event(n, line=f"l{line}")])
                stop.set()

            async def consume() -> int:
                reads = 0
                while not stop.is_set():
                    rows = await asyncio.to_thread(store.read, 0, 10_000)
                    seqs = [r.seq for r in rows]
                    assert seqs == list(range(1, len(seqs) + 1))  # no holes, no torn batch
                    assert len(seqs) % 2 == 0
                    reads += 1
                return reads

            results = await asyncio.gather(
                *(produce(n) for n in range(8)), *(consume() for _ in range(3))
            )
            assert all(isinstance(r, int) and r > 0 for r in results[8:])
            assert store.last_seq() == 8 * 25 * 2

    asyncio.run(scenario())


def test_reading_a_closed_store_raises(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(tmp_path / "e.sqlite")
        await store.close()
        with pytest.raises(StoreClosed):
            store.read()
        assert not store.healthy
        assert [ev async for ev in store.follow()] == []

    asyncio.run(scenario())


def test_store_properties(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite", max_size_mb=None) as store:
            assert store.path == tmp_path / "e.sqlite"
            assert store.agent_id == "floor-1"
            assert store.options.max_bytes is None
            assert store.healthy
            assert store.last_error is None
            assert store.last_error_at is None
            assert store.depth().count == 0

    asyncio.run(scenario())
    with pytest.raises(ValueError, match="agent_id"):
        asyncio.run(Store.open(tmp_path / "x.sqlite", ""))


def test_resume_points_are_the_last_committed_with_events_per_machine(tmp_path: Path) -> None:
    async def scenario() -> tuple[dict[str, str], dict[str, str], int]:
        path = tmp_path / "e.sqlite"
        async with await open_store(path) as store:
            assert store.resume_points() == {}
            await store.append(
                [event(machine="A"), event(machine="B")], resume={"A": "17", "B": "x"}
            )
            await store.append([event(machine="A")], resume={"A": "18"})
            await store.append([event(machine="C")])  # events without a resume point
            assert await store.append([], resume={"D": "never"}) == []  # nothing to commit
            first = await asyncio.to_thread(store.resume_points)
        async with await open_store(path) as store:  # kept across a restart
            again = store.resume_points()
            with store._reader.connection() as conn:
                (seq,) = conn.execute(
                    "SELECT seq FROM machine_resume WHERE machine = 'A'"
                ).fetchone()
        return first, again, seq

    first, again, seq = asyncio.run(scenario())
    assert first == again == {"A": "18", "B": "x"}
    assert seq == 3  # the last event committed with it
