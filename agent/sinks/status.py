"""What a sink reports about itself: connection, lag, errors, counters.

A sink owns one mutable :class:`SinkState` and updates it as it works;
readers (the status page, ``/metrics``, the demo summary, tests) take a
:meth:`SinkState.snapshot`, a frozen copy with the lag computed from the
store at that moment. Rules: nothing here does I/O except the one cheap
store query for the oldest undelivered event, and no field ever holds a
secret (brokers and URLs are stored redacted).
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agent.store import Store

LATENCY_SAMPLES = 4096


@dataclass(frozen=True, slots=True)
class SinkSnapshot:
    """A sink's state at one moment (see :class:`SinkState` for the fields)."""

    name: str
    connected: bool
    endpoint: str | None
    blocked: str | None
    lag_events: int
    oldest_unconfirmed_age_s: float | None
    confirmed_seq: int
    published: int
    confirmed: int
    failures: int
    connects: int
    last_error: str | None
    last_error_at: datetime | None
    connected_since: datetime | None
    latency_p50_ms: float | None
    latency_p99_ms: float | None


@dataclass(slots=True)
class SinkState:
    """Live state of one sink, updated by the sink itself."""

    name: str
    connected: bool = False
    endpoint: str | None = None
    """Where the sink is connected or trying to connect (redacted)."""
    blocked: str | None = None
    """Why the upstream is holding us back (e.g. a broker resource alarm), or None."""
    confirmed_seq: int = 0
    """The last seq confirmed by the upstream (may be ahead of the durable cursor)."""
    published: int = 0
    confirmed: int = 0
    failures: int = 0
    connects: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    connected_since: datetime | None = None
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))
    """Recent event-seen-to-confirmed latencies of live (not replayed) events."""

    def error(self, message: str) -> None:
        self.failures += 1
        self.last_error = message
        self.last_error_at = datetime.now(UTC)

    def up(self, endpoint: str) -> None:
        self.connected = True
        self.endpoint = endpoint
        self.connects += 1
        self.connected_since = datetime.now(UTC)

    def down(self) -> None:
        self.connected = False
        self.connected_since = None
        self.blocked = None

    def snapshot(self, store: Store) -> SinkSnapshot:
        last = store.last_seq()
        confirmed_seq = max(self.confirmed_seq, _durable_cursor(store, self.name))
        lag = max(0, last - confirmed_seq)
        age: float | None = None
        if lag:
            oldest = store.read(after_seq=confirmed_seq, limit=1)
            if oldest:
                age = (datetime.now(UTC) - oldest[0].event.timestamp).total_seconds()
        p50, p99 = latency_percentiles(self.latencies_ms)
        return SinkSnapshot(
            name=self.name,
            connected=self.connected,
            endpoint=self.endpoint,
            blocked=self.blocked,
            lag_events=lag,
            oldest_unconfirmed_age_s=age,
            confirmed_seq=confirmed_seq,
            published=self.published,
            confirmed=self.confirmed,
            failures=self.failures,
            connects=self.connects,
            last_error=self.last_error,
            last_error_at=self.last_error_at,
            connected_since=self.connected_since,
            latency_p50_ms=p50,
            latency_p99_ms=p99,
        )


def latency_percentiles(samples: deque[float] | list[float]) -> tuple[float | None, float | None]:
    """p50 and p99 of ``samples`` (None, None when there are fewer than two)."""
    if len(samples) < 2:
        return None, None
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def _durable_cursor(store: Store, name: str) -> int:
    return store.sinks().get(name, 0)
