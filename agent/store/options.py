"""Store settings (from the ``[store]`` config section), test/metrics hooks and counters.

``StoreOptions`` is plain data; the config layer validates the TOML and
builds it. ``StoreHooks`` are called in the writer thread and exist for
tests (count commits, inject a failing commit, hold a commit back, bound the
file with ``PRAGMA max_page_count``) and for metrics; they must be quick and
must not touch the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class WhenFull(StrEnum):
    """What the store does when it reaches ``max_size_mb``.

    ``STOP_ACKNOWLEDGING``: appends raise ``StoreFull``; the machines keep
    their events. Delivered events stay for the whole look-back window, so
    the store stays full until retention or the sinks free space.
    ``DROP_DELIVERED_FIRST``: delivered events inside the look-back window
    are dropped, oldest first, to make room; only when nothing delivered is
    left does it behave like ``STOP_ACKNOWLEDGING``.
    Undelivered events are never deleted by either policy.
    """

    STOP_ACKNOWLEDGING = "stop_acknowledging"
    DROP_DELIVERED_FIRST = "drop_delivered_first"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreOptions:
    """How the store behaves; every field has a production default."""

    group_commit_ms: float = 2.0
    """Batching window: how long the writer waits after the first pending
    append before committing everything queued (0 = commit at once)."""
    retention_days: float = 7.0
    """Look-back window: delivered events older than this are deleted."""
    max_size_mb: float | None = 1024.0
    """Bound on the live data in the database file (None = unbounded)."""
    when_full: WhenFull = WhenFull.DROP_DELIVERED_FIRST
    busy_timeout_ms: int = 5000
    """How long a connection waits for a lock held by another process."""
    read_connections: int = 4
    """Idle read-only connections kept for reuse (more are opened on demand)."""
    maintenance_chunk: int = 2000
    """Rows deleted per transaction by retention and by the size policy, so a
    long delete never holds up a group commit for long."""

    def __post_init__(self) -> None:
        if self.group_commit_ms < 0:
            raise ValueError("group_commit_ms must be >= 0")
        if self.retention_days < 0:
            raise ValueError("retention_days must be >= 0")
        if self.max_size_mb is not None and self.max_size_mb <= 0:
            raise ValueError("max_size_mb must be > 0 (or None for no bound)")
        if self.maintenance_chunk < 1 or self.read_connections < 0:
            raise ValueError("maintenance_chunk must be >= 1 and read_connections >= 0")
        object.__setattr__(self, "when_full", WhenFull(self.when_full))

    @property
    def max_bytes(self) -> int | None:
        return None if self.max_size_mb is None else int(self.max_size_mb * 1024 * 1024)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreHooks:
    """Callbacks run in the writer thread (see the module docstring)."""

    on_connect: Callable[[sqlite3.Connection], None] | None = None
    """After the writer connection is opened and configured."""
    before_commit: Callable[[int], None] | None = None
    """Just before COMMIT, with the number of events in the transaction;
    raising an exception makes the commit fail (the transaction is rolled back)."""
    after_commit: Callable[[int], None] | None = None
    """After a successful COMMIT, with the number of events it made durable."""


@dataclass(slots=True)
class StoreStats:
    """Counters for the status page and /metrics (a snapshot is returned)."""

    commits: int = 0
    events: int = 0
    failed_commits: int = 0
    rejected_full: int = 0
    dropped_delivered: int = 0
    deleted_retention: int = 0
    last_commit_ms: float = 0.0
    largest_batch: int = 0
