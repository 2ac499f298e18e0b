"""Appending: seqs, durability, group commit, failing commits, shutdown (writer.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from agent.events.envelope import StoredEvent
from agent.store import (
    STORE_FULL,
    STORE_RECOVERED,
    Store,
    StoreClosed,
    StoreFull,
    StoreHooks,
    StoreUnavailable,
)
from agent.store.writer import Writer

from .helpers import event, machine_events, names, open_store


def test_seqs_are_consecutive_and_ids_carry_them(tmp_path: Path) -> None:
    async def scenario() -> list[StoredEvent]:
        async with await open_store(tmp_path / "e.sqlite") as store:
            assert await store.append([]) == []
            first = await store.append([event(0), event(1)])
            second = await store.append([event(2)])
            assert store.last_seq() == 3
            return first + second

    stored = asyncio.run(scenario())
    assert [s.seq for s in stored] == [1, 2, 3]
    assert [s.id for s in stored] == [f"floor-1:{n:012d}" for n in (1, 2, 3)]
    assert [s.event.data["n"] for s in stored] == [0, 1, 2]


def test_appended_events_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> tuple[list[StoredEvent], list[StoredEvent]]:
        store = await open_store(path)
        acked = await store.append([event(n) for n in range(10)])
        await store.close()
        store = await open_store(path)
        try:
            return acked, store.read()
        finally:
            await store.close()

    acked, again = asyncio.run(scenario())
    assert again == acked


def test_seq_is_monotonic_across_restarts_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> list[int]:
        store = await open_store(path)
        await store.register_sinks(["amqp"])
        old = [event(n, at=event().timestamp - timedelta(days=30)) for n in range(5)]
        await store.append(old)
        await store.advance("amqp", 5)
        report = await store.maintain()
        assert report.deleted == 5
        assert store.read() == []
        await store.close()
        store = await open_store(path)  # every row is gone, the sequence is not
        try:
            assert store.last_seq() == 5
            return [s.seq for s in await store.append([event(9)])]
        finally:
            await store.close()

    assert asyncio.run(scenario()) == [6]


def test_group_commit_batches_appends_from_many_lines(tmp_path: Path) -> None:
    lines, per_line = 50, 20
    commits: list[int] = []

    async def line(store: Store, n: int) -> list[StoredEvent]:
        out: list[StoredEvent] = []
        for i in range(per_line):
            out += await store.append([event(i, line=f"line-{n}", machine=f"M{n}")])
        return out

    async def scenario() -> list[list[StoredEvent]]:
        store = await open_store(tmp_path / "e.sqlite", StoreHooks(after_commit=commits.append))
        async with store:
            return list(await asyncio.gather(*(line(store, n) for n in range(lines))))

    results = asyncio.run(scenario())
    appends = lines * per_line
    assert sum(commits) == appends
    assert len(commits) <= appends // 5, f"{len(commits)} commits for {appends} appends"
    seqs = sorted(s.seq for per in results for s in per)
    assert seqs == list(range(1, appends + 1))
    for per in results:  # each line's events keep their order
        assert [s.event.data["n"] for s in per] == list(range(per_line))
        assert [s.seq for s in per] == sorted(s.seq for s in per)


def test_group_commit_with_no_window(tmp_path: Path) -> None:
    async def scenario() -> int:
        async with await open_store(tmp_path / "e.sqlite", group_commit_ms=0) as store:
            await asyncio.gather(*(store.append([event(n)]) for n in range(40)))
            return store.last_seq()

    assert asyncio.run(scenario()) == 40


def test_a_held_commit_holds_every_waiter(tmp_path: Path) -> None:
    """The durability gate: nothing is acknowledged before COMMIT returns."""
    release = threading.Event()
    entered = threading.Event()

    def before_commit(count: int) -> None:
        entered.set()
        release.wait(5)

    async def scenario() -> None:
        store = await open_store(tmp_path / "e.sqlite", StoreHooks(before_commit=before_commit))
        async with store:
            task = asyncio.create_task(store.append([event(1)]))
            await asyncio.to_thread(entered.wait, 5)
            await asyncio.sleep(0.05)
            assert not task.done()
            assert store.read() == []  # not committed, not visible
            release.set()
            stored = await task
            assert store.read() == stored

    asyncio.run(scenario())


def test_a_failing_commit_acknowledges_nothing_and_the_writer_carries_on(tmp_path: Path) -> None:
    failures = {"left": 2}

    def before_commit(count: int) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise sqlite3.OperationalError("database or disk is full")

    path = tmp_path / "events.sqlite"

    async def scenario() -> None:
        store = await open_store(path, StoreHooks(before_commit=before_commit))
        async with store:
            for n in range(2):
                with pytest.raises(StoreFull) as caught:
                    await store.append([event(n)])
                assert isinstance(caught.value, StoreUnavailable)
                assert not store.healthy
                assert store.full
                assert "disk is full" in (store.last_error or "")
            acked = await store.append([event(2)])
            assert store.healthy
            assert not store.full
            stats = store.stats
            assert stats.failed_commits == 2
            assert stats.rejected_full == 2
        store = await open_store(path)
        async with store:
            rows = store.read()
        # the alarm that could not be written at the time comes first, with its own time
        assert names(rows) == [STORE_FULL, STORE_RECOVERED, "billAccepted"]
        assert rows[0].event.data["cause"] == "disk"
        assert rows[0].event.timestamp <= rows[1].event.timestamp
        assert rows[1].event.data["refused_batches"] == 2
        assert machine_events(rows) == acked

    asyncio.run(scenario())


def test_an_io_error_is_store_unavailable_not_full(tmp_path: Path) -> None:
    calls = {"n": 0}

    def before_commit(count: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("disk I/O error")
        if calls["n"] == 2:
            raise RuntimeError("a bug in a hook")

    async def scenario() -> None:
        async with await open_store(
            tmp_path / "e.sqlite", StoreHooks(before_commit=before_commit)
        ) as store:
            with pytest.raises(StoreUnavailable) as first:
                await store.append([event(1)])
            assert not isinstance(first.value, StoreFull)
            assert not store.full
            with pytest.raises(StoreUnavailable, match="a bug in a hook"):
                await store.append([event(2)])
            assert [s.seq for s in await store.append([event(3)])] == [1]
            assert store.last_error_at is not None

    asyncio.run(scenario())


def test_an_unserialisable_append_fails_alone(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite", group_commit_ms=20) as store:
            good = asyncio.create_task(store.append([event(1)]))
            bad = asyncio.create_task(store.append([event(2, data={"when": object()})]))
            nan = asyncio.create_task(store.append([event(3, data={"x": float("nan")})]))
            also_good = asyncio.create_task(store.append([event(4)]))
            await asyncio.wait([good, bad, nan, also_good])
            assert isinstance(bad.exception(), TypeError)
            assert isinstance(nan.exception(), ValueError)
            assert [s.seq for s in good.result() + also_good.result()] == [1, 2]
            assert [s.event.data["n"] for s in store.read()] == [1, 4]

    asyncio.run(scenario())


def test_a_broken_connection_is_replaced(tmp_path: Path) -> None:
    conns: list[sqlite3.Connection] = []

    async def scenario() -> None:
        store = await open_store(tmp_path / "e.sqlite", StoreHooks(on_connect=conns.append))
        async with store:
            await store.append([event(1)])
            conns[-1].close()  # pulled from under the writer
            with pytest.raises(StoreUnavailable):
                await store.append([event(2)])
            assert [s.seq for s in await store.append([event(3)])] == [2]
            assert len(conns) == 2

    asyncio.run(scenario())


def test_an_after_commit_hook_failure_does_not_fail_the_append(tmp_path: Path) -> None:
    def after_commit(count: int) -> None:
        raise RuntimeError("metrics broke")

    async def scenario() -> None:
        async with await open_store(
            tmp_path / "e.sqlite", StoreHooks(after_commit=after_commit)
        ) as store:
            assert len(await store.append([event(1)])) == 1

    asyncio.run(scenario())


def test_a_bug_in_the_writer_fails_the_batch_not_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Writer._commit_group
    calls = {"n": 0}

    def flaky(self: Writer, *args: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyError("oops")
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Writer, "_commit_group", flaky)

    async def scenario() -> None:
        async with await open_store(tmp_path / "e.sqlite") as store:
            with pytest.raises(StoreUnavailable, match="oops"):
                await store.append([event(1)])
            assert len(await store.append([event(2)])) == 1

    asyncio.run(scenario())


def test_close_commits_everything_queued(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> None:
        store = await open_store(path, group_commit_ms=50)
        tasks = [asyncio.create_task(store.append([event(n)])) for n in range(100)]
        await asyncio.sleep(0)  # every append is queued
        await store.close()
        assert all(t.done() for t in tasks)
        acked = [s for t in tasks for s in t.result()]
        with pytest.raises(StoreClosed):
            await store.append([event(1)])
        await store.close()  # twice is fine
        store = await open_store(path)
        async with store:
            assert store.read() == acked

    asyncio.run(scenario())


def test_cancelling_an_append_propagates_and_the_store_goes_on(tmp_path: Path) -> None:
    release = threading.Event()
    entered = threading.Event()

    def before_commit(count: int) -> None:
        entered.set()
        release.wait(5)

    async def scenario() -> None:
        store = await open_store(tmp_path / "e.sqlite", StoreHooks(before_commit=before_commit))
        async with store:
            task = asyncio.create_task(store.append([event(1)]))
            await asyncio.to_thread(entered.wait, 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            release.set()
            # the events handed over may still be committed: the machine was not
            # acknowledged, so it reports them again (a possible duplicate)
            later = await store.append([event(2)])
            assert later[0].seq == 2

    asyncio.run(scenario())


def test_writer_submit_after_stop_is_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(tmp_path / "e.sqlite")
        store._writer.stop()
        with pytest.raises(StoreClosed):
            await store.append([event(1)])
        await store.close()

    asyncio.run(scenario())


def test_a_cancelled_close_still_finishes_and_can_be_awaited_again(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"

    async def scenario() -> list[StoredEvent]:
        store = await open_store(path, group_commit_ms=20)
        pending = asyncio.create_task(store.append([event(1)]))
        await asyncio.sleep(0)
        closing = asyncio.create_task(store.close())
        await asyncio.sleep(0)
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        await store.close()
        return await pending

    acked = asyncio.run(scenario())

    async def reopen() -> list[StoredEvent]:
        async with await open_store(path) as store:
            return store.read()

    assert asyncio.run(reopen()) == acked
