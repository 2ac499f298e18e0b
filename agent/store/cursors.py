"""Sink cursors: the last seq each upstream sink has confirmed.

One row per sink name in ``sink_cursors``. Rules:

* a cursor only moves forward, and every move is committed by the writer
  (in the same group commit as appends), so a confirmation survives a crash;
* ``register`` makes a set of names *the* registered sinks: a name seen
  before keeps its cursor, a new one starts just before the oldest stored
  row (so it receives the look-back window), and names left out are marked
  inactive - they stop holding back deletion, and their cursor is kept
  should they come back;
* no cursor is ever below ``oldest stored seq - 1``: rows below it are gone,
  and this keeps ``last_seq - cursor`` an exact count of undelivered rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .schema import last_seq, load_cursors


def register(conn: sqlite3.Connection, names: Sequence[str], updated: str) -> dict[str, int]:
    """Make ``names`` the active sinks; return their cursors."""
    wanted = list(dict.fromkeys(names))
    if any(not name for name in wanted):
        raise ValueError("sink names must not be empty")
    known = load_cursors(conn)
    oldest = conn.execute("SELECT min(seq) FROM events").fetchone()[0]
    floor = last_seq(conn) if oldest is None else int(oldest) - 1
    for name, (_, active) in known.items():
        if active and name not in wanted:
            conn.execute(
                "UPDATE sink_cursors SET active = 0, updated = ? WHERE name = ?", (updated, name)
            )
    result = {}
    for name in wanted:
        seq = max(known[name][0], floor) if name in known else floor
        conn.execute(
            "INSERT INTO sink_cursors (name, seq, active, updated) VALUES (?, ?, 1, ?)"
            " ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, active = 1,"
            " updated = excluded.updated",
            (name, seq, updated),
        )
        result[name] = seq
    return result


def move(conn: sqlite3.Connection, name: str, seq: int, updated: str) -> None:
    """Set sink ``name``'s cursor to ``seq`` (the caller checked it moves forward)."""
    conn.execute(
        "UPDATE sink_cursors SET seq = ?, updated = ? WHERE name = ? AND seq < ?",
        (seq, updated, name, seq),
    )
