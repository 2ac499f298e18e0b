"""What the HTTP side shows: a read-only view of the running agent.

``FloorView`` turns the pollers' counters, the store and the sinks into the
API models. ``LiveFeed`` follows the store (``Store.follow``, woken by
commits, never polling) and keeps, per machine, the last event, the last
meter snapshot and the identity; it fans every new event out to
subscribers (the status page's stream) through bounded queues: a client
that cannot keep up loses its oldest queued events, never slows the agent.
It also samples a one-hour history (events/s, buffer depth, poll interval).

Rules: nothing here writes; nothing here blocks the loop for long (reads
are small pages); everything is computed from state the agent already keeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agent import __version__
from agent.events.envelope import StoredEvent
from agent.runtime import Agent

from .models import (
    History,
    HistoryPoint,
    LineStatus,
    MachineDetail,
    MachineStatus,
    Status,
    StoreStatus,
)

SNAPSHOT_TTL_S = 0.5
HISTORY_STEP_S = 5.0
HISTORY_POINTS = 720  # one hour
SUBSCRIBER_QUEUE = 1000


@dataclass(slots=True)
class MachineMemory:
    last_event: str | None = None
    last_event_at: datetime | None = None
    meters: dict[str, int] | None = None
    meters_at: datetime | None = None
    identity: dict[str, Any] | None = None


@dataclass(slots=True)
class LiveFeed:
    """Follows the store for the view and the live tail; see the module doc."""

    agent: Agent
    machines: dict[str, MachineMemory] = field(default_factory=dict)
    history: deque[HistoryPoint] = field(default_factory=lambda: deque(maxlen=HISTORY_POINTS))
    subscribers: set[asyncio.Queue[StoredEvent]] = field(default_factory=set)
    dropped: int = 0
    seen_seq: int = 0

    async def run(self, started_from: int | None = None) -> None:
        """Follow the store and sample the history until cancelled."""
        store = self.agent.store
        start = store.last_seq() if started_from is None else started_from
        self.seen_seq = start
        sampler = asyncio.create_task(self._sample())
        try:
            async for stored in store.follow(start):
                self.seen_seq = stored.seq
                self._remember(stored)
                for queue in self.subscribers:
                    if queue.full():
                        queue.get_nowait()
                        self.dropped += 1
                    queue.put_nowait(stored)
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler

    def _remember(self, stored: StoredEvent) -> None:
        event = stored.event
        memory = self.machines.setdefault(event.machine, MachineMemory())
        memory.last_event = event.event
        memory.last_event_at = event.timestamp
        if event.meters is not None:
            memory.meters = dict(event.meters)
            memory.meters_at = event.timestamp
        if event.event == "machineIdentified":
            memory.identity = dict(event.data)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[StoredEvent]]:
        queue: asyncio.Queue[StoredEvent] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self.subscribers.add(queue)
        try:
            yield queue
        finally:
            self.subscribers.discard(queue)

    async def _sample(self) -> None:
        store = self.agent.store
        last_seq, last_t = store.last_seq(), time.monotonic()
        while True:
            await asyncio.sleep(HISTORY_STEP_S)
            seq, now = store.last_seq(), time.monotonic()
            rate = (seq - last_seq) / max(now - last_t, 1e-6)
            last_seq, last_t = seq, now
            self.history.append(
                HistoryPoint(
                    at=datetime.now(UTC),
                    events_per_s=round(rate, 3),
                    buffer_depth=store.depth().count,
                    poll_interval_p99_ms=_p99_ms(self.agent, "recent_intervals"),
                    poll_latency_p99_ms=_p99_ms(self.agent, "recent_latencies"),
                )
            )


class FloorView:
    """The agent as the API shows it.

    ``status()`` is computed at most every ``SNAPSHOT_TTL_S`` and shared by
    every caller (the page's stream sends one a second, many clients may
    poll): the HTTP side's work must not grow with its clients, because it
    runs in the pollers' loop.
    """

    def __init__(self, agent: Agent, feed: LiveFeed) -> None:
        self.agent = agent
        self.feed = feed
        self.started = time.monotonic()
        self._snapshot: tuple[float, Status, bytes] | None = None
        self._line_of = {
            machine.id: (line.name, machine.address) for line, machine in agent.config.machines()
        }

    def machine_ids(self) -> list[str]:
        return list(self._line_of)

    def machine(self, machine_id: str) -> MachineStatus | None:
        if machine_id not in self._line_of:
            return None
        return self._machine(machine_id, self._stats())

    def machine_detail(self, machine_id: str) -> MachineDetail | None:
        status = self.machine(machine_id)
        if status is None:
            return None
        memory = self.feed.machines.get(machine_id, MachineMemory())
        return MachineDetail(
            **status.model_dump(),
            meters=memory.meters,
            meters_at=memory.meters_at,
            identity=memory.identity,
        )

    def machines(self) -> list[MachineStatus]:
        stats = self._stats()
        return [self._machine(machine_id, stats) for machine_id in self._line_of]

    def status(self) -> Status:
        return self._snapshot_now()[1]

    def status_json(self) -> bytes:
        """``status()`` serialised, shared like the model."""
        return self._snapshot_now()[2]

    def _snapshot_now(self) -> tuple[float, Status, bytes]:
        now = time.monotonic()
        if self._snapshot is None or now - self._snapshot[0] >= SNAPSHOT_TTL_S:
            status = self._status()
            self._snapshot = (now, status, status.model_dump_json().encode())
        return self._snapshot

    def _status(self) -> Status:
        agent = self.agent
        return Status(
            agent_id=agent.config.agent.id,
            version=__version__,
            now=datetime.now(UTC),
            uptime_s=round(time.monotonic() - self.started, 3),
            lines=[
                LineStatus(
                    name=p.state.name,
                    port=p.state.port,
                    connected=p.state.connected,
                    last_error=p.state.last_error,
                    reopen_count=p.state.reopen_count,
                    machines=list(p.stats()),
                    notice=p.state.notice,
                )
                for p in agent.pollers
            ],
            machines=self.machines(),
            store=self.store_status(),
            sinks=[sink.snapshot() for sink in agent.sinks],
        )

    def store_status(self) -> StoreStatus:
        store = self.agent.store
        depth = store.depth()
        age = None
        if depth.oldest is not None:
            age = round((datetime.now(UTC) - depth.oldest).total_seconds(), 3)
        return StoreStatus(
            last_seq=store.last_seq(),
            undelivered=depth.count,
            oldest_undelivered_age_s=age,
            healthy=store.healthy,
            full=store.full,
            last_error=store.last_error,
        )

    def history(self) -> History:
        return History(step_s=HISTORY_STEP_S, points=list(self.feed.history))

    def _stats(self) -> dict[str, Any]:
        return {mid: s for p in self.agent.pollers for mid, s in p.stats().items()}

    def _machine(self, machine_id: str, stats: dict[str, Any]) -> MachineStatus:
        line, address = self._line_of[machine_id]
        s = stats.get(machine_id)
        memory = self.feed.machines.get(machine_id, MachineMemory())
        intervals = list(s.recent_intervals) if s is not None else []
        now = time.monotonic()
        return MachineStatus(
            id=machine_id,
            address=address,
            line=line,
            online=bool(s and s.online),
            polls=s.polls if s else 0,
            replies=s.replies if s else 0,
            timeouts=s.timeouts if s else 0,
            crc_errors=s.crc_errors if s else 0,
            nacks=s.nacks if s else 0,
            busy=s.busy if s else 0,
            failed_polls=s.failed_polls if s else 0,
            exceptions=s.reports if s else 0,
            poll_rate_hz=round(1 / statistics.fmean(intervals), 3) if intervals else None,
            poll_interval_p99_ms=_quantile_ms(intervals),
            poll_latency_p99_ms=_quantile_ms(s.recent_latencies) if s else None,
            last_reply_age_s=(
                round(now - s.last_reply_at, 3) if s and s.last_reply_at is not None else None
            ),
            last_event=memory.last_event,
            last_event_at=memory.last_event_at,
        )


def p99_of(values: Iterable[float]) -> float | None:
    """The 99th percentile as the API computes it, ``statistics.quantiles(values, n=100,
    method="inclusive")[98]`` (None under two values), without the 98 other cut points."""
    ordered = sorted(values)
    if len(ordered) < 2:
        return None
    position = (len(ordered) - 1) * 99 / 100
    below = int(position)
    if below + 1 == len(ordered):
        return ordered[below]
    return ordered[below] + (ordered[below + 1] - ordered[below]) * (position - below)


def _quantile_ms(intervals: Iterable[float]) -> float | None:
    p99 = p99_of(intervals)
    return None if p99 is None else round(p99 * 1000, 3)


def _p99_ms(agent: Agent, samples: str) -> float | None:
    """p99 over every machine's ``samples`` deque (``recent_intervals``, ``recent_latencies``)."""
    values = [v for p in agent.pollers for s in p.stats().values() for v in getattr(s, samples)]
    return _quantile_ms(values)
