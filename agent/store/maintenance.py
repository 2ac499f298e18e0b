"""Deleting rows: retention of the look-back window and the size policy.

These are plain SQL steps on the writer's connection; the writer runs them
inside its own transactions (one chunk per transaction, so a long clean-up
never holds up a group commit for long).

Rules:

* A row is *delivered* when every registered sink's cursor is at or past
  its seq; with no sink registered every row counts as delivered, so
  events are then kept for the look-back window only.
* Only delivered rows are ever deleted, by retention (older than
  ``retention_days``) and by the ``drop_delivered_first`` size policy
  (oldest first, inside the window). Undelivered rows are never deleted:
  when nothing delivered is left, the store refuses appends instead
  (``StoreFull``) and the machines keep their events.
* Deleting a row never lowers ``sqlite_sequence``, so seqs stay unique.
* Deleted pages go to SQLite's freelist and are reused by later inserts; the
  file does not shrink (no VACUUM on a live store: it would need up to twice
  the space and hold the write lock for the whole copy).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.events.envelope import format_time

from .schema import used_bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceReport:
    """What one ``Store.maintain`` pass did."""

    deleted: int
    """Delivered rows deleted because they left the look-back window."""
    delivered_seq: int
    """Every row up to this seq is delivered to all registered sinks."""
    size_bytes: int
    """Live data in the database file after the pass."""
    full: bool
    """Whether appends are being refused right now."""


def retention_cutoff(now: datetime, retention_days: float) -> str:
    """Rows with a timestamp before this (envelope format) are out of the window."""
    return format_time(now - timedelta(days=retention_days))


def delete_expired(conn: sqlite3.Connection, *, delivered_seq: int, cutoff: str, limit: int) -> int:
    """Delete up to ``limit`` delivered rows older than ``cutoff``; return how many."""
    cursor = conn.execute(
        "DELETE FROM events WHERE seq IN (SELECT seq FROM events"
        " WHERE seq <= ? AND timestamp < ? ORDER BY seq LIMIT ?)",
        (delivered_seq, cutoff, limit),
    )
    return cursor.rowcount


def drop_delivered(
    conn: sqlite3.Connection, *, delivered_seq: int, target_bytes: int, chunk: int
) -> tuple[int, int]:
    """Delete delivered rows, oldest first, until live data is under ``target_bytes``.

    Returns (rows deleted, live bytes after). Stops early when no delivered
    row is left.
    """
    dropped = 0
    size = used_bytes(conn)
    while size >= target_bytes:
        cursor = conn.execute(
            "DELETE FROM events WHERE seq IN (SELECT seq FROM events"
            " WHERE seq <= ? ORDER BY seq LIMIT ?)",
            (delivered_seq, chunk),
        )
        if cursor.rowcount <= 0:
            break
        dropped += cursor.rowcount
        size = used_bytes(conn)
    return dropped, size
