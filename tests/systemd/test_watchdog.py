"""``agent.watchdog``: the progress checks and the status line, without a floor."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from agent.poller import LineState
from agent.store import Store
from agent.watchdog import safe_status_line, stalled, store_answers


def poller(name: str, *, progress: float = 0.0, waiting: float = 0.0) -> Any:
    state = LineState(name=name, port=f"/dev/{name}")
    state.last_progress, state.waiting_until = progress, waiting
    return SimpleNamespace(state=state)


def test_a_poller_without_recent_progress_is_stalled() -> None:
    pollers = [
        poller("a", progress=99.5),
        poller("b", progress=90.0),
        poller("c", progress=50.0, waiting=120.0),  # waiting to reopen its port
        poller("d"),  # not started yet: counted from the heartbeat's start
    ]
    assert stalled(pollers, now=100.0, stuck_after=1.0, since=0.0) == [
        "line b made no progress for 1 s",
        "line d made no progress for 1 s",
    ]
    # within WatchdogSec of the heartbeat's start nobody is judged yet
    assert stalled(pollers, now=100.0, stuck_after=1.0, since=99.5) == []


def test_a_silent_or_closed_store_holds_the_watchdog(tmp_path: Path) -> None:
    class Silent:
        async def ping(self) -> None:
            await asyncio.Event().wait()

    async def scenario() -> None:
        assert await store_answers(cast(Store, Silent()), 0.05) == [
            "store writer silent for 0.05 s"
        ]
        store = await Store.open(tmp_path / "events.sqlite", "floor-1")
        assert await store_answers(store, 1.0) == []
        await store.close()
        [problem] = await store_answers(store, 1.0)
        assert problem.startswith("store writer: ")

    asyncio.run(scenario())


def test_a_failing_status_read_does_not_stop_the_agent() -> None:
    class Broken:
        @property
        def pollers(self) -> list[Any]:
            raise RuntimeError("boom")

    text = safe_status_line(cast(Any, Broken()), ["line b made no progress for 1 s"])
    assert text == "status unavailable (see the log); line b made no progress for 1 s"
