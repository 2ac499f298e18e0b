"""The single writer: one thread, one connection, group commit.

Every write goes through here - appends from all lines, cursor advances,
sink registration, maintenance - so SQLite never sees two writers and the
event loop never waits on an fsync::

    event loop                           writer thread ("store-writer")
    append() -> job + future --queue-->  wait group_commit_ms after the first job
                                         BEGIN IMMEDIATE
                                         size bound / policy / alarm rows
                                         INSERT every queued event (one executemany)
                                         UPDATE advanced cursors
                                         COMMIT  (synchronous=FULL: one fsync for all)
    futures resolved <-- call_soon_threadsafe (one callback per batch)

Rules:

* A future gets its stored events only after COMMIT returned; a failed
  commit (I/O error, disk full, a failing hook) rolls back and gives every
  waiter of the batch ``StoreUnavailable`` (``StoreFull`` for a full disk),
  and the next batch simply tries again. Nothing is retried in here: the
  pollers keep their events and the machines keep theirs.
* One append's events get consecutive seqs, in order; a job whose data
  cannot be serialised fails alone, the rest of the batch commits.
* Full (see ``options.WhenFull``): the bound bites when live data reaches
  ``max_bytes`` and clears when it is back under ``LOW_WATER`` of it, so
  the alarms do not flap. The ``storeFull`` alarm needs no space: the
  bound is ours, so the alarm row may exceed it; when the *disk* is full
  the alarm is kept in memory and written, with its original time, in the
  first transaction that succeeds, followed by ``storeRecovered``. Alarm
  rows only ride with appends, and while the store is full cursor advances
  are committed in a transaction of their own: moving a cursor needs no
  new space, and it is what lets space be freed.
* All mutable state (``last_seq``, ``cursors``, ``full``...) is changed by
  this thread only, and only after a successful COMMIT; other threads read
  the attributes, which are replaced, never mutated in place (``stats``
  are plain counters, read as a snapshot).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from agent.events.envelope import Event, format_time

from . import alarms
from . import cursors as cursors_sql
from .alarms import FullEpisode
from .errors import StoreClosed, StoreFull, StoreUnavailable, UnknownSinkError, is_full_error
from .jobs import AdvanceJob, AppendJob, CallJob, Job, Outcome
from .maintenance import delete_expired, drop_delivered
from .options import StoreHooks, StoreOptions, StoreStats, WhenFull
from .schema import (
    INSERT_EVENT,
    UPSERT_RESUME,
    Row,
    last_seq,
    load_cursors,
    stamp,
    used_bytes,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
LOW_WATER = 0.95


@dataclass(slots=True, eq=False)
class _Plan:
    """One group transaction: its jobs in, its outcomes and new state out."""

    appends: list[AppendJob]
    advances: list[AdvanceJob]
    now: datetime
    episode: FullEpisode | None
    cursors: dict[str, int]
    outcomes: list[Outcome] = field(default_factory=list)
    seq: int = 0
    count: int = 0
    size: int = 0
    dropped: int = 0
    refuse: str | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


class Writer:
    """Owns the write connection and the thread that commits in groups."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        connect: Callable[[], sqlite3.Connection],
        path: Path,
        agent_id: str,
        options: StoreOptions,
        hooks: StoreHooks,
        loop: asyncio.AbstractEventLoop,
        on_commit: Callable[[], None],
    ) -> None:
        self.path, self.agent_id, self.options, self.hooks = path, agent_id, options, hooks
        self._conn: sqlite3.Connection | None = conn
        self._connect = connect
        self._loop = loop
        self._on_commit = on_commit
        self._cond = threading.Condition()
        self._queue: list[Job] = []
        self._first_at = 0.0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self.last_seq = last_seq(conn)
        self.cursors = {name: seq for name, (seq, on) in load_cursors(conn).items() if on}
        self.full: FullEpisode | None = alarms.full_at_open(conn, agent_id)
        self.commit_ok = True
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self.stats = StoreStats()

    # -- event loop side ---------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def submit(self, job: Job) -> None:
        with self._cond:
            if self._stopping:
                raise StoreClosed(self.path, "the store is closed")
            if not self._queue:
                self._first_at = time.monotonic()
            self._queue.append(job)
            self._cond.notify()

    def stop(self) -> None:
        """Take no more jobs; the thread commits what is queued, then ends."""
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def join(self) -> None:
        if self._thread.is_alive():
            self._thread.join()

    def close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def delivered_seq(self) -> int:
        """Every row up to here is confirmed by all registered sinks (all rows if none)."""
        return min(self.cursors.values(), default=self.last_seq)

    # -- writer thread -----------------------------------------------------

    def _run(self) -> None:
        window = self.options.group_commit_ms / 1000
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                wait = self._first_at + window - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with self._cond:
                batch, self._queue = self._queue, []
            try:
                outcomes = self._process(batch)
            except Exception as exc:  # a bug: fail the batch, keep the writer alive
                log.exception("store writer failed on a batch")
                outcomes = [(j.future, None, StoreUnavailable(self.path, repr(exc))) for j in batch]
            self._deliver_soon(outcomes)

    def _process(self, batch: list[Job]) -> list[Outcome]:
        outcomes = [self._call(job) for job in batch if isinstance(job, CallJob)]
        appends = [job for job in batch if isinstance(job, AppendJob)]
        advances = [job for job in batch if isinstance(job, AdvanceJob)]
        if appends or advances:
            outcomes += self._commit_group(appends, advances)
        return outcomes

    def _deliver_soon(self, outcomes: list[Outcome]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            self._loop.call_soon_threadsafe(self._deliver, outcomes)

    def _deliver(self, outcomes: list[Outcome]) -> None:
        for future, result, error in outcomes:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)
        self._on_commit()

    def _transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = body(conn)
            conn.execute("COMMIT")
        except BaseException:
            self._rollback(conn)
            raise
        return result

    def _rollback(self, conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except Exception:  # the connection is unusable: open a new one next time
            log.warning("store rollback failed; reconnecting", exc_info=True)
            with contextlib.suppress(Exception):
                conn.close()
            self._conn = None

    def _error(self, exc: BaseException, what: str) -> StoreUnavailable:
        kind = StoreFull if is_full_error(exc) else StoreUnavailable
        return kind(self.path, f"{what}: {exc}")

    def _call(self, job: CallJob) -> Outcome:
        try:
            return (job.future, job.fn(), None)
        except sqlite3.Error as exc:
            return (job.future, None, self._error(exc, "write failed"))
        except Exception as exc:
            return (job.future, None, exc)

    def _commit_group(self, appends: list[AppendJob], advances: list[AdvanceJob]) -> list[Outcome]:
        episode = self.full
        if episode is not None and appends and advances:
            # cursors free space: never let refused appends take them down too
            return self._commit_group([], advances) + self._commit_group(appends, [])
        if appends and episode is not None and episode.cause == "disk":
            self._free_space_after_disk_full()
        plan = _Plan(appends, advances, utcnow(), episode, dict(self.cursors))
        started = time.perf_counter()
        try:
            self._transaction(partial(self._fill, plan=plan))
        except Exception as exc:
            return self._commit_failed(exc, appends, advances, plan.now)
        self.last_seq = plan.seq
        self.cursors = plan.cursors
        self.full = plan.episode
        self.commit_ok = True
        stats = self.stats
        stats.commits += 1
        stats.events += plan.count
        stats.largest_batch = max(stats.largest_batch, plan.count)
        stats.last_commit_ms = (time.perf_counter() - started) * 1000
        stats.dropped_delivered += plan.dropped
        if plan.refuse is not None:
            stats.rejected_full += len(appends)
        if self.hooks.after_commit is not None:
            try:
                self.hooks.after_commit(plan.count)
            except Exception:
                log.exception("after_commit hook failed")
        return plan.outcomes

    def _fill(self, conn: sqlite3.Connection, *, plan: _Plan) -> None:
        """The body of a group transaction: alarms, events, resume points, cursors (no COMMIT)."""
        plan.seq = last_seq(conn)
        rows: list[Row] = []
        resume: list[tuple[str, str, int, str]] = []
        if plan.appends:  # alarms ride with appends: a cursor move must not need space
            plan.refuse = self._check_bound(conn, plan)
            rows = self._stamp_alarms(plan)
        for job in plan.appends:
            if plan.refuse is not None:
                plan.outcomes.append((job.future, None, StoreFull(self.path, plan.refuse)))
                continue
            try:
                stored, job_rows = stamp(self.agent_id, job.events, plan.seq)
            except (TypeError, ValueError) as exc:  # not JSON: the producer's bug
                plan.outcomes.append((job.future, None, exc))
                continue
            plan.seq += len(stored)
            rows += job_rows
            updated = plan.now.isoformat()
            resume += [(m, point, plan.seq, updated) for m, point in job.resume.items()]
            plan.outcomes.append((job.future, stored, None))
        conn.executemany(INSERT_EVENT, rows)
        conn.executemany(UPSERT_RESUME, resume)
        for adv in plan.advances:
            plan.outcomes.append(self._advance(conn, adv, plan))
        plan.count = len(rows)
        if self.hooks.before_commit is not None:
            self.hooks.before_commit(plan.count)

    def _stamp_alarms(self, plan: _Plan) -> list[Row]:
        """storeFull / storeRecovered rows due in this transaction; updates plan.episode."""
        current = plan.episode
        if plan.refuse is not None and current is None:
            current = FullEpisode(plan.now, plan.refuse, "bound", plan.size, recorded=False)
        pending: list[Event] = []
        if current is not None and not current.recorded:
            self.last_error, self.last_error_at = current.reason, current.since
            pending.append(
                alarms.full_alarm(
                    current,
                    agent_id=self.agent_id,
                    policy=self.options.when_full.value,
                    max_bytes=self.options.max_bytes,
                )
            )
            current = dataclasses.replace(current, recorded=True)
        if plan.refuse is None and current is not None:
            pending.append(alarms.recovered_alarm(current, agent_id=self.agent_id, at=plan.now))
            current = None
        elif plan.refuse is not None and current is not None:
            current = dataclasses.replace(current, refused=current.refused + 1)
        plan.episode = current
        _, rows = stamp(self.agent_id, pending, plan.seq)
        plan.seq += len(rows)
        return rows

    def _check_bound(self, conn: sqlite3.Connection, plan: _Plan) -> str | None:
        """Why appends must be refused now (None: they fit), applying the drop policy."""
        limit = self.options.max_bytes
        if limit is None:
            return None
        episode = plan.episode
        plan.size = size = used_bytes(conn)
        low_water = int(limit * LOW_WATER)
        bound = low_water if episode is not None and episode.cause == "bound" else limit
        if size >= bound and self.options.when_full is WhenFull.DROP_DELIVERED_FIRST:
            dropped, size = drop_delivered(
                conn,
                delivered_seq=self.delivered_seq(),
                target_bytes=low_water,
                chunk=self.options.maintenance_chunk,
            )
            plan.size, plan.dropped = size, dropped
        if size >= bound:
            return f"store at its size bound: {size} of {limit} bytes in use"
        return None

    def _free_space_after_disk_full(self) -> None:
        """drop_delivered_first on a full disk: free one chunk of delivered rows first."""
        if self.options.when_full is not WhenFull.DROP_DELIVERED_FIRST:
            return
        delivered = self.delivered_seq()
        try:
            dropped, _ = self._transaction(
                lambda conn: drop_delivered(
                    conn,
                    delivered_seq=delivered,
                    target_bytes=used_bytes(conn),
                    chunk=self.options.maintenance_chunk,
                )
            )
        except Exception:
            log.warning("could not free delivered rows on a full disk", exc_info=True)
            return
        self.stats.dropped_delivered += dropped

    def _advance(self, conn: sqlite3.Connection, job: AdvanceJob, plan: _Plan) -> Outcome:
        cursors = plan.cursors
        if job.sink not in cursors:
            error = UnknownSinkError(self.path, f"sink {job.sink!r} is not registered")
            return (job.future, None, error)
        if job.seq > plan.seq:
            return (job.future, None, ValueError(f"seq {job.seq} is past the last seq {plan.seq}"))
        if job.seq > cursors[job.sink]:
            cursors_sql.move(conn, job.sink, job.seq, format_time(plan.now))
            cursors[job.sink] = job.seq
        return (job.future, cursors[job.sink], None)

    def _commit_failed(
        self, exc: Exception, appends: list[AppendJob], advances: list[AdvanceJob], now: datetime
    ) -> list[Outcome]:
        if not isinstance(exc, sqlite3.Error):
            log.error("store commit failed: %r", exc)
        error = self._error(exc, "commit failed")
        self.commit_ok = False
        self.last_error, self.last_error_at = error.reason, now
        self.stats.failed_commits += 1
        if isinstance(error, StoreFull) and appends:
            if self.full is None:
                self.full = FullEpisode(now, error.reason, "disk", 0, recorded=False)
            self.full = dataclasses.replace(self.full, refused=self.full.refused + 1)
            self.stats.rejected_full += len(appends)
        jobs: list[AppendJob | AdvanceJob] = [*appends, *advances]
        return [(job.future, None, type(error)(self.path, error.reason)) for job in jobs]

    # -- calls (each its own transaction) -----------------------------------

    def register_sinks(self, names: Sequence[str]) -> dict[str, int]:
        """Make ``names`` the registered sinks (see ``cursors.register``)."""
        updated = format_time(utcnow())
        self.cursors = self._transaction(
            partial(cursors_sql.register, names=names, updated=updated)
        )
        return dict(self.cursors)

    def expire(self, cutoff: str) -> int:
        """Delete one chunk of delivered rows older than ``cutoff``; return how many."""
        delivered = self.delivered_seq()
        deleted = self._transaction(
            lambda conn: delete_expired(
                conn, delivered_seq=delivered, cutoff=cutoff, limit=self.options.maintenance_chunk
            )
        )
        self.stats.deleted_retention += deleted
        return deleted
