"""The database layout, its migrations, and how connections are opened.

Tables (migration ``0001_events_and_cursors``)::

    events        seq INTEGER PRIMARY KEY AUTOINCREMENT   monotonic, never reused
                  id TEXT            "<agent>:<seq:012d>"
                  timestamp TEXT     envelope format, UTC ms "...T10:15:03.120Z"
                  machine, line, channel, event TEXT      filter columns
                  envelope TEXT      the JSON envelope as published (replayed=false)
      index events_machine_seq (machine, seq)    per-machine reads in order
      index events_timestamp   (timestamp)       time-range reads, retention
    sink_cursors  name TEXT PRIMARY KEY, seq INTEGER (last confirmed),
                  active INTEGER (1 = registered now), updated TEXT

Table (migration ``0002_machine_resume``)::

    machine_resume  machine TEXT PRIMARY KEY, point TEXT (the protocol
                    adapter's own resume point), seq INTEGER (the last event
                    committed with it), updated TEXT

Rules:

* ``AUTOINCREMENT`` keeps ``sqlite_sequence`` at the highest seq ever
  committed, so a seq is never reused, even after every row was deleted.
  The single writer assigns seqs itself (``next_seq``) inside its
  transaction; that is what lets it build the envelope (whose id contains
  the seq) before the INSERT and insert a whole batch with one executemany.
* Migrations are sqlite-utils ``Migrations``, applied in order at open, each
  in its own transaction and recorded in ``_sqlite_migrations``;
  ``PRAGMA user_version`` mirrors the number applied, for tools. A database
  carrying a migration this agent does not know was written by a newer agent:
  it is refused (``StoreSchemaError``), never rewritten or moved aside.
* The writer connection runs in WAL mode with ``synchronous=FULL``: a
  COMMIT returns only after the WAL is fsynced, which is what makes an
  acknowledgement safe. Readers use separate read-only connections.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from agent.events.envelope import Event, StoredEvent, event_id

from .errors import StoreSchemaError

MIGRATIONS = Migrations("floor-agent-store")


@MIGRATIONS(name="0001_events_and_cursors")
def _events_and_cursors(db: Database) -> None:
    # sqlite-utils cannot spell AUTOINCREMENT, which is the point of this column.
    db.execute(
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            machine TEXT NOT NULL,
            line TEXT NOT NULL,
            channel TEXT NOT NULL,
            event TEXT NOT NULL,
            envelope TEXT NOT NULL
        )
        """
    )
    events = db.table("events")
    events.create_index(["machine", "seq"], index_name="events_machine_seq")
    events.create_index(["timestamp"], index_name="events_timestamp")
    db.table("sink_cursors").create(
        {"name": str, "seq": int, "active": int, "updated": str},
        pk="name",
        not_null=["seq", "active", "updated"],
        defaults={"seq": 0, "active": 1},
    )


@MIGRATIONS(name="0002_machine_resume")
def _machine_resume(db: Database) -> None:
    db.table("machine_resume").create(
        {"machine": str, "point": str, "seq": int, "updated": str},
        pk="machine",
        not_null=["point", "seq", "updated"],
    )


UPSERT_RESUME = (
    "INSERT INTO machine_resume (machine, point, seq, updated) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (machine) DO UPDATE SET point = excluded.point, seq = excluded.seq,"
    " updated = excluded.updated"
)


def load_resume(conn: sqlite3.Connection) -> dict[str, str]:
    """Every machine's resume point: machine -> point."""
    rows = conn.execute("SELECT machine, point FROM machine_resume").fetchall()
    return {str(machine): str(point) for machine, point in rows}


def known_migrations() -> list[str]:
    """Names of the migrations this agent knows, in order (all are pending on an empty db)."""
    empty = Database(memory=True, execute_plugins=False)
    try:
        return [m.name for m in MIGRATIONS.pending(empty)]
    finally:
        empty.close()


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Apply pending migrations; return the schema version (migrations applied)."""
    db = Database(conn, execute_plugins=False)
    known = known_migrations()
    applied = [m.name for m in MIGRATIONS.applied(db)]
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise StoreSchemaError(
            path,
            f"written by a newer floor-agent (unknown migrations {unknown}); upgrade the agent",
        )
    if not applied and "events" in db.table_names():
        raise StoreSchemaError(path, "has an events table but is not a floor-agent store")
    MIGRATIONS.apply(db)
    version = len(MIGRATIONS.applied(db))
    conn.execute(f"PRAGMA user_version = {version}")
    return version


def connect_writer(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """The writer's connection: explicit transactions, usable from the writer thread."""
    return sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )


def configure_writer(conn: sqlite3.Connection) -> None:
    """WAL and synchronous=FULL: a COMMIT returns once the WAL is on disk."""
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError(f"cannot enable WAL (journal_mode is {mode})")
    conn.execute("PRAGMA synchronous = FULL")


def connect_reader(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """A read-only connection (``mode=ro`` and ``query_only``), shareable across threads."""
    conn = sqlite3.connect(
        path.resolve().as_uri() + "?mode=ro",
        uri=True,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    conn.execute("PRAGMA query_only = 1")
    return conn


INSERT_EVENT = (
    "INSERT INTO events (seq, id, timestamp, machine, line, channel, event, envelope)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

Row = tuple[int, str, str, str, str, str, str, str]
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode(stored: StoredEvent) -> Row:
    """The INSERT parameters of a stored event; raises for data JSON cannot carry."""
    ev = stored.event
    envelope = stored.envelope()
    return (
        stored.seq,
        stored.id,
        envelope["timestamp"],
        ev.machine,
        ev.line,
        ev.channel.value,
        ev.event,
        _ENCODER.encode(envelope),
    )


def decode(envelope: str) -> StoredEvent:
    """A stored event back from its envelope column."""
    parsed: dict[str, Any] = json.loads(envelope)
    return StoredEvent.from_envelope(parsed)


def last_seq(conn: sqlite3.Connection) -> int:
    """The highest seq ever committed (0 for a new store)."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),"
        " coalesce((SELECT max(seq) FROM events), 0))"
    ).fetchone()
    return int(row[0])


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of live data in the database file (pages in use, free pages excluded)."""
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    return int((pages - free) * page_size)


def load_cursors(conn: sqlite3.Connection) -> dict[str, tuple[int, bool]]:
    """Every sink cursor ever registered: name -> (seq, active)."""
    rows = conn.execute("SELECT name, seq, active FROM sink_cursors").fetchall()
    return {str(name): (int(seq), bool(active)) for name, seq, active in rows}


def stamp(
    agent_id: str, events: Sequence[Event], after: int
) -> tuple[list[StoredEvent], list[Row]]:
    """Give ``events`` the seqs after ``after``; the stored events and their rows."""
    stored = [
        StoredEvent(seq=after + i, id=event_id(agent_id, after + i), event=ev)
        for i, ev in enumerate(events, 1)
    ]
    return stored, [encode(s) for s in stored]


def write_events(conn: sqlite3.Connection, agent_id: str, events: Sequence[Event]) -> None:
    """Commit ``events`` directly (used at open, before the writer thread starts)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        _, rows = stamp(agent_id, events, last_seq(conn))
        conn.executemany(INSERT_EVENT, rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
