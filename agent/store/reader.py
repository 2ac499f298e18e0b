"""Read-only access to the store: pages of events, depth, size.

Readers never touch the writer's connection. Each read borrows a read-only
connection (``mode=ro`` + ``query_only``) from a small pool and returns it,
so reads are safe from the event loop (small pages: a page of 500 envelopes
reads in about a millisecond) and from worker threads at the same time. In
WAL mode a reader sees the last committed state when its statement starts
and never blocks the writer, nor is blocked by it.

Filters map onto the indexes: ``after_seq`` on the primary key,
``machine`` on (machine, seq), ``since``/``until`` on timestamp; ``since``
is inclusive and ``until`` exclusive. Results are always in seq order.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.events.envelope import Channel, StoredEvent, format_time, parse_time

from .errors import StoreClosed
from .schema import connect_reader, decode, load_resume, used_bytes

MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class Depth:
    """What is waiting for delivery: how many rows, and the oldest one's timestamp."""

    count: int
    oldest: datetime | None


class Reader:
    """A pool of read-only connections and the queries that use them."""

    def __init__(self, path: Path, *, busy_timeout_ms: int, keep: int) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._keep = keep
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self.closed = False

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """Borrow a read-only connection (opened on demand, kept for reuse)."""
        with self._lock:
            if self.closed:
                raise StoreClosed(self.path, "the store is closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = connect_reader(self.path, self._busy_timeout_ms)
        try:
            yield conn
        finally:
            with self._lock:
                if not self.closed and len(self._idle) < self._keep:
                    self._idle.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def read(
        self,
        *,
        after_seq: int = 0,
        limit: int = 500,
        machine: str | None = None,
        channel: Channel | str | None = None,
        event: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[StoredEvent]:
        """Up to ``limit`` events with seq > ``after_seq`` that match every filter given."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
        clauses = ["seq > ?"]
        params: list[Any] = [after_seq]
        for column, value in (
            ("machine", machine),
            ("channel", None if channel is None else Channel(channel).value),
            ("event", event),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            clauses.append("timestamp >= ?")
            params.append(format_time(since))
        if until is not None:
            clauses.append("timestamp < ?")
            params.append(format_time(until))
        sql = f"SELECT envelope FROM events WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT ?"
        with self.connection() as conn:
            rows = conn.execute(sql, [*params, limit]).fetchall()
        return [decode(row[0]) for row in rows]

    def oldest_after(self, seq: int) -> datetime | None:
        """Timestamp of the first row after ``seq`` (None if there is none)."""
        with self.connection() as conn:
            row = conn.execute(
                "SELECT timestamp FROM events WHERE seq > ? ORDER BY seq LIMIT 1", (seq,)
            ).fetchone()
        return None if row is None else parse_time(row[0])

    def resume_points(self) -> dict[str, str]:
        """Every machine's resume point (``Store.append``'s ``resume``)."""
        with self.connection() as conn:
            return load_resume(conn)

    def size(self) -> int:
        """Bytes of live data in the database file."""
        with self.connection() as conn:
            return used_bytes(conn)
