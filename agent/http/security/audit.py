"""The audit log: every API call and remote action, in its own SQLite file, kept for a while.

Layout: one table ``audit`` in ``audit.sqlite`` beside the event store (the
path is given to the constructor), WAL mode; ``id`` is an AUTOINCREMENT key,
so ids only ever grow, even after pruning, and ``after_id`` paging is safe.

Rules.
- ``record`` never blocks and never raises: it puts the record on a bounded
  queue. A full queue (the disk cannot keep up) drops the record, counts it
  in ``dropped`` and logs a warning (at most one a minute).
- One writer thread owns the write connection: it takes whatever is queued
  (up to ``BATCH`` records), inserts it in one transaction and commits
  (``synchronous=NORMAL``: a power cut may lose the last commits, never
  corrupt the file). A failing write is counted in ``failed`` and logged;
  the thread carries on.
- ``prune(now)`` deletes entries older than the retention; the owner calls
  it now and then (hourly is plenty). Deletes go in chunks so the write
  lock is held briefly.
- ``query`` and ``prune`` run in a worker thread (``asyncio.to_thread``)
  with a connection of their own; WAL lets them read while the writer
  writes. A query sees what the writer has committed: ``flush()`` first to
  include everything recorded so far.
- ``close()`` writes everything queued, then stops the thread.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from .records import AuditEntry, AuditRecord, clip
from .roles import Principal

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
QUEUE_SIZE = 10_000
BATCH = 500
PRUNE_CHUNK = 5000
FLUSH_TIMEOUT_S = 30.0
MAX_QUERY = 1000
WARN_EVERY_S = 60.0
BUSY_TIMEOUT_MS = 5000
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = (
    "at_us, kind, principal, role, method, client_ip, http_method, path, query, status, "
    "duration_ms, action, machine, result, detail"
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_us INTEGER NOT NULL,
    kind TEXT NOT NULL,
    principal TEXT, role TEXT, method TEXT, client_ip TEXT,
    http_method TEXT, path TEXT, query TEXT, status INTEGER, duration_ms REAL,
    action TEXT, machine TEXT, result TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at_us);
CREATE INDEX IF NOT EXISTS audit_principal ON audit (principal, id);
PRAGMA user_version = {SCHEMA_VERSION};
"""
_INSERT = f"INSERT INTO audit ({_COLUMNS}) VALUES ({', '.join('?' * 15)})"
_STOP: Final = object()
Row = tuple[object, ...]
Item = AuditRecord | threading.Event | object


def _micros(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - EPOCH) // timedelta(microseconds=1)


def _row(record: AuditRecord) -> Row:
    return (
        _micros(record.at),
        record.kind,
        clip(record.principal, 200),
        record.role,
        record.method,
        clip(record.client_ip, 64),
        clip(record.http_method, 16),
        clip(record.path),
        clip(record.query),
        record.status,
        record.duration_ms,
        clip(record.action, 200),
        clip(record.machine, 200),
        clip(record.result, 64),
        clip(record.detail, 500),
    )


def _entry(row: sqlite3.Row) -> AuditEntry:
    fields = {key: row[key] for key in row.keys() if key != "at_us"}  # noqa: SIM118
    return AuditEntry(at=EPOCH + timedelta(microseconds=row["at_us"]), **fields)


class AuditLog:
    """The audit log in ``path``; see the module rules."""

    def __init__(
        self,
        path: str | Path,
        *,
        retention_days: int = 90,
        queue_size: int = QUEUE_SIZE,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = Path(path)
        self.retention = timedelta(days=retention_days)
        self.wall = wall
        self.dropped = 0
        self.written = 0
        self.failed = 0
        self._queue: queue.Queue[Item] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._warned_at: float | None = None

    # --- writing (any thread; never blocks) -------------------------------------------------

    def record(self, record: AuditRecord) -> None:
        """Queue ``record`` for writing; drop it (counted, logged) if the queue is full."""
        if self._closed:
            self.dropped += 1
            return
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1
            now = time.monotonic()
            if self._warned_at is None or now - self._warned_at >= WARN_EVERY_S:
                self._warned_at = now
                log.warning(
                    "audit log %s cannot keep up: %d record(s) dropped so far",
                    self.path,
                    self.dropped,
                )

    def record_action(  # noqa: PLR0917 - the call shape the action routes use
        self,
        principal: Principal | None,
        client_ip: str | None,
        machine: str,
        action: str,
        ok: bool,
        detail: str | None = None,
    ) -> None:
        """Record a remote action on ``machine`` and whether it succeeded."""
        self.record(
            AuditRecord(
                at=self.wall(),
                kind="action",
                principal=None if principal is None else principal.name,
                role=None if principal is None else principal.role.label,
                method=None if principal is None else principal.method,
                client_ip=client_ip,
                action=action,
                machine=machine,
                result="ok" if ok else "failed",
                detail=detail,
            )
        )

    # --- lifecycle ----------------------------------------------------------------------------

    async def open(self) -> None:
        """Create the file and its table if needed, and start the writer thread."""
        if self._thread is not None:
            return
        await asyncio.to_thread(self._create)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="floor-agent-audit", daemon=True)
        self._thread.start()

    async def flush(self, timeout: float = FLUSH_TIMEOUT_S) -> None:
        """Wait until everything recorded so far is committed (or ``timeout`` passed)."""
        if self._thread is None or not self._thread.is_alive():
            return
        done = threading.Event()
        await asyncio.to_thread(self._queue.put, done)
        await asyncio.to_thread(done.wait, timeout)

    async def close(self) -> None:
        """Write everything queued, then stop the writer thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._closed = True
        await asyncio.to_thread(self._queue.put, _STOP)
        await asyncio.to_thread(thread.join)

    # --- reading and pruning (a worker thread, a connection of their own) ---------------------

    async def query(
        self,
        *,
        after_id: int = 0,
        limit: int = 100,
        since: datetime | None = None,
        until: datetime | None = None,
        principal: str | None = None,
        kind: str | None = None,
    ) -> list[AuditEntry]:
        """Entries with ``id > after_id``, oldest first, at most ``limit`` (1-1000).

        ``since`` is inclusive and ``until`` exclusive; a naive datetime is UTC.
        ``kind`` is ``"request"`` or ``"action"``.
        """
        where = ["id > ?"]
        params: list[object] = [after_id]
        if since is not None:
            where.append("at_us >= ?")
            params.append(_micros(since))
        if until is not None:
            where.append("at_us < ?")
            params.append(_micros(until))
        if principal is not None:
            where.append("principal = ?")
            params.append(principal)
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        params.append(max(1, min(limit, MAX_QUERY)))
        sql = f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"

        def run() -> list[AuditEntry]:
            with self._connection() as conn:
                conn.row_factory = sqlite3.Row
                return [_entry(row) for row in conn.execute(sql, params)]

        return await asyncio.to_thread(run)

    async def prune(self, now: datetime) -> int:
        """Delete entries older than the retention before ``now``; how many went."""

        def run() -> int:
            with self._connection() as conn:
                return self._prune(conn, now)

        return await asyncio.to_thread(run)

    # --- the writer thread ------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)) as conn:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            yield conn

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)

    def _prune(self, conn: sqlite3.Connection, now: datetime) -> int:
        cutoff = _micros(now - self.retention)
        deleted = 0
        while True:
            cursor = conn.execute(
                "DELETE FROM audit WHERE id IN "
                "(SELECT id FROM audit WHERE at_us < ? ORDER BY id LIMIT ?)",
                (cutoff, PRUNE_CHUNK),
            )
            conn.commit()
            deleted += cursor.rowcount
            if cursor.rowcount < PRUNE_CHUNK:
                return deleted

    def _run(self) -> None:
        with self._connection() as conn:
            conn.execute("PRAGMA synchronous = NORMAL")
            while True:
                items = self._take()
                self._write(conn, [item for item in items if isinstance(item, AuditRecord)])
                for item in items:
                    if isinstance(item, threading.Event):
                        item.set()
                if any(item is _STOP for item in items):
                    return

    def _take(self) -> list[Item]:
        items = [self._queue.get()]
        while len(items) < BATCH:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _write(self, conn: sqlite3.Connection, records: list[AuditRecord]) -> None:
        if not records:
            return

        def insert() -> None:
            with conn:
                conn.executemany(_INSERT, [_row(record) for record in records])
            self.written += len(records)

        if not self._safely(insert, "write"):
            self.failed += len(records)

    def _safely(self, job: Callable[[], object], what: str) -> bool:
        try:
            job()
        except (sqlite3.Error, OSError, ValueError) as exc:
            log.error("audit log %s: cannot %s: %s", self.path, what, exc)  # noqa: TRY400
            return False
        return True
