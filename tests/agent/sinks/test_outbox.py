"""OutboxPump against a real store and a scripted upstream (no broker needed)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.events.envelope import StoredEvent
from agent.sinks import DeliveryFailedError, OutboxPump, SinkState
from agent.store import Store, StoreClosed

from ..store.helpers import event, open_store

SINK = "test"


class Upstream:
    """Confirms after a random short delay; fails the seqs it is told to, once each."""

    def __init__(self, *, fail: set[int] | None = None, seed: int = 0) -> None:
        self.fail = set(fail or ())
        self.delivered: list[tuple[int, bool]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._rng = random.Random(seed)

    async def deliver(self, stored: StoredEvent, replayed: bool) -> None:
        self.delivered.append((stored.seq, replayed))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self._rng.random() / 1000)
            if stored.seq in self.fail:
                self.fail.discard(stored.seq)
                raise DeliveryFailedError("nacked")
        finally:
            self.in_flight -= 1


async def filled(tmp_path: Path, count: int) -> Store:
    store = await open_store(tmp_path / "events.sqlite")
    await store.register_sinks([SINK])
    await store.append([event(n) for n in range(count)])
    return store


async def run_until(
    pump: OutboxPump,
    deliver: Callable[[StoredEvent, bool], Awaitable[None]],
    seq: int,
    *,
    replay_until: int = 0,
) -> None:
    """Run the pump until ``seq`` is confirmed, then cancel it."""
    task = asyncio.create_task(pump.run(deliver, replay_until=replay_until))
    while pump.state.confirmed_seq < seq:
        if task.done():
            task.result()
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_delivers_backlog_in_order_within_the_window(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await filled(tmp_path, 1000)
        state = SinkState(SINK)
        upstream = Upstream()
        pump = OutboxPump(store, state, window=16, page=100)
        await run_until(pump, upstream.deliver, 1000)
        assert [seq for seq, _ in upstream.delivered] == list(range(1, 1001))
        assert 1 < upstream.max_in_flight <= 16
        assert store.cursor(SINK) == 1000  # flushed on cancel
        assert state.confirmed == state.published == 1000
        await store.close()

    asyncio.run(scenario())


def test_live_events_are_delivered_as_they_are_committed(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await filled(tmp_path, 3)
        upstream = Upstream()
        pump = OutboxPump(store, SinkState(SINK), window=4)
        task = asyncio.create_task(pump.run(upstream.deliver, replay_until=3))
        while pump.state.confirmed_seq < 3:
            await asyncio.sleep(0.001)
        await store.append([event(10), event(11)])
        while pump.state.confirmed_seq < 5:
            await asyncio.sleep(0.001)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        # the backlog (stored before the run) is replayed; live events are not
        assert upstream.delivered == [(1, True), (2, True), (3, True), (4, False), (5, False)]
        assert len(pump.state.latencies_ms) == 2
        await store.close()

    asyncio.run(scenario())


def test_a_failure_holds_the_cursor_and_the_next_run_resends_in_order(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await filled(tmp_path, 200)
        state = SinkState(SINK)
        upstream = Upstream(fail={57})
        pump = OutboxPump(store, state, window=32, page=50)
        with pytest.raises(DeliveryFailedError) as failed:
            await pump.run(upstream.deliver, replay_until=0)
        assert failed.value.seq == 57
        # later events may have been confirmed, but the cursor never passes 56
        assert state.confirmed_seq == 56
        assert store.cursor(SINK) == 56
        first_run = [seq for seq, _ in upstream.delivered]
        assert first_run == list(range(1, len(first_run) + 1))
        assert max(first_run) > 57  # the window had later events in flight

        upstream.delivered.clear()
        await run_until(pump, upstream.deliver, 200, replay_until=200)
        assert upstream.delivered == [(seq, True) for seq in range(57, 201)]
        assert store.cursor(SINK) == 200
        await store.close()

    asyncio.run(scenario())


def test_cancelling_cancels_deliveries_in_flight(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await filled(tmp_path, 10)
        started: list[int] = []
        cancelled: list[int] = []

        async def hang(stored: StoredEvent, replayed: bool) -> None:
            started.append(stored.seq)
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.append(stored.seq)
                raise

        pump = OutboxPump(store, SinkState(SINK), window=4)
        task = asyncio.create_task(pump.run(hang, replay_until=0))
        while len(started) < 4:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert started == cancelled == [1, 2, 3, 4]
        assert store.cursor(SINK) == 0
        await store.close()

    asyncio.run(scenario())


def test_an_exception_that_is_not_a_delivery_failure_is_reported_as_one(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await filled(tmp_path, 3)

        async def broken(stored: StoredEvent, replayed: bool) -> None:
            if stored.seq == 2:
                raise ConnectionResetError("peer reset")

        pump = OutboxPump(store, SinkState(SINK), window=1)
        with pytest.raises(DeliveryFailedError, match="seq 2: ConnectionResetError: peer reset"):
            await pump.run(broken, replay_until=0)
        assert store.cursor(SINK) == 1
        await store.close()

    asyncio.run(scenario())


def test_window_must_be_positive(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await filled(tmp_path, 1)
        with pytest.raises(ValueError, match="window"):
            OutboxPump(store, SinkState(SINK), window=0)
        await store.close()

    asyncio.run(scenario())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    failures=st.sets(st.integers(min_value=1, max_value=60), max_size=8),
    window=st.integers(min_value=1, max_value=20),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_every_event_is_confirmed_once_in_order_despite_failures(
    tmp_path_factory: pytest.TempPathFactory, failures: set[int], window: int, seed: int
) -> None:
    """Property: whatever fails, runs resume at the cursor and end with all confirmed."""
    tmp_path = tmp_path_factory.mktemp("pump")

    async def scenario() -> None:
        store = await filled(tmp_path, 60)
        state = SinkState(SINK)
        upstream = Upstream(fail=failures, seed=seed)
        pump = OutboxPump(store, state, window=window, page=7)
        confirmed_order: list[int] = []
        for _ in range(len(failures) + 1):
            start = state.confirmed_seq
            upstream.delivered.clear()
            task = asyncio.create_task(pump.run(upstream.deliver, replay_until=60))
            while state.confirmed_seq < 60 and not task.done():
                await asyncio.sleep(0.001)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            run = [seq for seq, _ in upstream.delivered]
            # every run starts right after the cursor and goes up by one
            assert run == list(range(start + 1, start + 1 + len(run)))
            confirmed_order += range(start + 1, state.confirmed_seq + 1)
            if state.confirmed_seq == 60:
                break
        assert confirmed_order == list(range(1, 61))
        assert store.cursor(SINK) == 60
        await store.close()

    asyncio.run(scenario())


def test_after_a_failure_the_failed_event_is_retried_alone(tmp_path: Path) -> None:
    """A refused event is not followed by a window of copies at every retry."""

    async def scenario() -> None:
        store = await filled(tmp_path, 50)
        state = SinkState(SINK)
        refusals = 3
        upstream = Upstream()
        upstream.fail = {10}
        pump = OutboxPump(store, state, window=8)
        for _ in range(refusals):
            upstream.fail = {10}
            upstream.delivered.clear()
            with pytest.raises(DeliveryFailedError):
                await pump.run(upstream.deliver, replay_until=50)
        # the first run had a full window out; every retry sent only seq 10
        assert [seq for seq, _ in upstream.delivered] == [10]
        assert upstream.max_in_flight <= 8
        upstream.delivered.clear()
        upstream.max_in_flight = 0
        await run_until(pump, upstream.deliver, 50, replay_until=50)
        assert [seq for seq, _ in upstream.delivered] == list(range(10, 51))
        assert upstream.max_in_flight > 1  # the full window is back once seq 10 is confirmed
        await store.close()

    asyncio.run(scenario())


def test_a_delivery_cancelled_by_the_client_library_is_a_failure(tmp_path: Path) -> None:
    """aiormq rejects pending calls with CancelledError when it drops a dead connection."""

    async def scenario() -> None:
        store = await filled(tmp_path, 3)

        async def dropped(stored: StoredEvent, replayed: bool) -> None:
            if stored.seq == 2:
                raise asyncio.CancelledError

        pump = OutboxPump(store, SinkState(SINK), window=1)
        with pytest.raises(DeliveryFailedError, match="seq 2: delivery cancelled"):
            await pump.run(dropped, replay_until=0)
        assert store.cursor(SINK) == 1
        await store.close()

    asyncio.run(scenario())


def test_the_pump_stops_when_the_store_closes(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await filled(tmp_path, 2)
        upstream = Upstream()
        pump = OutboxPump(store, SinkState(SINK), window=4)
        task = asyncio.create_task(pump.run(upstream.deliver, replay_until=0))
        while pump.state.confirmed_seq < 2:
            await asyncio.sleep(0.001)
        await store.close()
        with pytest.raises(StoreClosed):
            await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
