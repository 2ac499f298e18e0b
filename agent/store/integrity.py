"""Opening the database file safely: check it, and move a bad one aside.

At start the store runs ``PRAGMA quick_check`` on the file, through a
read-only connection, before anything else (read-only: closing it never
checkpoints into or deletes the WAL, which holds the latest commits). A
file that is corrupt, truncated, or not SQLite at all is renamed to
``<name>.corrupt-<UTC timestamp>`` together with its ``-wal``, ``-shm`` and
``-journal`` companions (same suffixes, so ``sqlite3`` still finds the WAL
when someone opens the moved copy to rescue rows), a fresh store is created
in its place, and the caller records a ``storeCorrupted`` alarm as the first
event of the new store. The agent never refuses to run because of a bad file.

What is *not* corruption, and is raised instead (moving such a file aside
would strand events the machines were already told are safe):

* the file is locked or busy (another process), cannot be opened because of
  permissions, or the disk is full: ``StoreUnavailable``;
* the schema was written by a newer agent: ``StoreSchemaError``.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import StoreUnavailable
from .options import StoreOptions
from .schema import configure_writer, connect_reader, connect_writer, migrate

SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
COMPANIONS = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True, slots=True)
class MovedAside:
    """Where a bad store file went, and why."""

    moved_to: Path
    reason: str


class _CorruptError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_corruption(exc: sqlite3.Error) -> bool:
    """True for SQLite's "malformed image" and "not a database" errors."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def open_checked(path: Path, options: StoreOptions) -> tuple[sqlite3.Connection, MovedAside | None]:
    """A configured, migrated writer connection; a bad file is moved aside first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open(path, options), None
    except _CorruptError as exc:
        moved = move_aside(path, datetime.now(UTC))
        try:
            return _open(path, options), MovedAside(moved, exc.reason)
        except _CorruptError as again:  # a brand-new file cannot be corrupt; the disk is failing
            raise StoreUnavailable(path, f"fresh store unusable: {again.reason}") from again


def _open(path: Path, options: StoreOptions) -> sqlite3.Connection:
    if path.exists():
        _probe(path, options)
    try:
        conn = connect_writer(path, options.busy_timeout_ms)
    except sqlite3.Error as exc:
        raise StoreUnavailable(path, f"cannot open: {exc}") from exc
    try:
        configure_writer(conn)
        migrate(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise _classify(path, exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _probe(path: Path, options: StoreOptions) -> None:
    """quick_check through a read-only connection.

    Read-only on purpose: closing it never checkpoints into, nor deletes, a
    WAL that may hold the last committed events, so a file found bad is
    moved aside exactly as it was.
    """
    try:
        conn = connect_reader(path, options.busy_timeout_ms)
    except sqlite3.Error as exc:
        raise StoreUnavailable(path, f"cannot open: {exc}") from exc
    try:
        _quick_check(conn)
    except sqlite3.Error as exc:
        raise _classify(path, exc) from exc
    finally:
        conn.close()


def _classify(path: Path, exc: sqlite3.Error) -> Exception:
    if is_corruption(exc):
        return _CorruptError(f"{type(exc).__name__}: {exc}")
    return StoreUnavailable(path, f"cannot open: {exc}")


def _quick_check(conn: sqlite3.Connection) -> None:
    problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        raise _CorruptError("quick_check: " + "; ".join(problems[:5]))


def move_aside(path: Path, now: datetime) -> Path:
    """Rename ``path`` and its companions to ``<name>.corrupt-<stamp>``; return the new path."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while any(Path(f"{target}{suffix}").exists() for suffix in COMPANIONS):
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    for suffix in COMPANIONS:
        source = Path(f"{path}{suffix}")
        if source.exists():
            os.replace(source, f"{target}{suffix}")
    fsync_dir(path.parent)
    return target


def fsync_dir(directory: Path) -> None:
    """Make renames and file creations in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
