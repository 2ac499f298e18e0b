"""``Store``: the durable outbox, the only queue between serial lines and upstream.

Usage::

    store = await Store.open(data_dir / "events.sqlite", agent_id, StoreOptions())
    async with store:
        await store.register_sinks(["amqp", "wss"])     # before the pollers start
        stored = await store.append(events)            # durable once this returns
        page = store.read(after_seq=store.cursor("amqp"), limit=500)
        await store.advance("amqp", page[-1].seq)       # after the broker confirmed
        async for ev in store.follow(store.last_seq()): ...  # live tail
        await store.maintain()                          # periodically

Rules:

* ``append`` returns only after the rows are committed with
  synchronous=FULL; it raises ``StoreUnavailable`` (``StoreFull``,
  ``StoreClosed``) otherwise, and then nothing of that call was stored: the
  poller must not acknowledge the machine.
* Every write runs in the writer thread (``writer``); reads use their own
  read-only connections (``reader``); the event loop never waits on disk
  for a write and never holds a lock the writer needs.
* ``close`` lets the writer commit everything already queued and resolves
  every pending append before it returns. Cancelling a caller propagates
  ``CancelledError``; the events it handed over may still be committed
  (the machine was not acknowledged, so it may report them again: its
  protocol adapter recognises such repeats by the resume points).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from agent.events.envelope import Channel, Event, StoredEvent

from . import alarms
from .errors import StoreClosed, UnknownSinkError
from .integrity import MovedAside, open_checked
from .jobs import AdvanceJob, AppendJob, CallJob
from .maintenance import MaintenanceReport, retention_cutoff
from .options import StoreHooks, StoreOptions, StoreStats
from .reader import Depth, Reader
from .schema import configure_writer, connect_writer, write_events
from .writer import Writer, utcnow

T = TypeVar("T")


class Store:
    """The SQLite outbox; create it with :meth:`open`."""

    def __init__(self, *, writer: Writer, reader: Reader, moved_aside: MovedAside | None) -> None:
        self._writer = writer
        self._reader = reader
        self._loop = asyncio.get_running_loop()
        self._committed = asyncio.Event()
        self._closed = False
        self._closing: asyncio.Future[None] | None = None
        self.moved_aside = moved_aside
        """Where a corrupt file found at open went (None if the file was sound)."""

    @classmethod
    async def open(
        cls,
        path: Path | str,
        agent_id: str,
        options: StoreOptions | None = None,
        *,
        hooks: StoreHooks | None = None,
    ) -> Store:
        """Check, migrate and open the store at ``path``; start its writer.

        A corrupt or non-SQLite file is moved aside and a fresh store starts
        with a ``storeCorrupted`` alarm; see ``integrity``.
        """
        if not agent_id:
            raise ValueError("agent_id must not be empty")
        path = Path(path)
        options = options or StoreOptions()
        hooks = hooks or StoreHooks()
        loop = asyncio.get_running_loop()
        store: Store | None = None

        def on_commit() -> None:
            if store is not None:
                store._wake_followers()

        opener = partial(
            _open_writer,
            path=path,
            agent_id=agent_id,
            options=options,
            hooks=hooks,
            loop=loop,
            on_commit=on_commit,
        )
        writer, moved = await asyncio.to_thread(opener)
        reader = Reader(
            path, busy_timeout_ms=options.busy_timeout_ms, keep=options.read_connections
        )
        store = cls(writer=writer, reader=reader, moved_aside=moved)
        writer.start()
        return store

    # -- state ---------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._writer.path

    @property
    def agent_id(self) -> str:
        return self._writer.agent_id

    @property
    def options(self) -> StoreOptions:
        return self._writer.options

    @property
    def healthy(self) -> bool:
        """The last commit succeeded and appends are accepted."""
        return self._writer.commit_ok and self._writer.full is None and not self._closed

    @property
    def full(self) -> bool:
        """Appends are refused with ``StoreFull`` (size bound or disk full)."""
        return self._writer.full is not None

    @property
    def last_error(self) -> str | None:
        """The most recent failure or full condition (kept after recovery; see healthy)."""
        return self._writer.last_error

    @property
    def last_error_at(self) -> datetime | None:
        return self._writer.last_error_at

    @property
    def stats(self) -> StoreStats:
        """A snapshot of the writer's counters."""
        return dataclasses.replace(self._writer.stats)

    # -- writing -------------------------------------------------------------

    async def append(
        self, events: Sequence[Event], *, resume: Mapping[str, str] | None = None
    ) -> list[StoredEvent]:
        """Store ``events`` durably, in order, with consecutive seqs; all or nothing.

        ``resume`` (machine -> a protocol adapter's resume point) is committed
        in the same transaction; ``resume_points`` gives the latest back.
        """
        if not events:
            return []
        self._check_open()
        future: asyncio.Future[list[StoredEvent]] = self._loop.create_future()
        self._writer.submit(AppendJob(tuple(events), future, dict(resume or {})))
        return await future

    async def register_sinks(self, names: Sequence[str]) -> dict[str, int]:
        """Make ``names`` the sinks whose confirmations decide what is delivered.

        A sink seen before keeps its cursor; a new one starts before the oldest
        stored row (it receives the look-back window). Sinks left out stop
        holding back deletion; their cursor is remembered if they come back.
        """
        cursors: dict[str, int] = await self._call(
            partial(self._writer.register_sinks, list(names))
        )
        return cursors

    def sinks(self) -> dict[str, int]:
        """The registered sinks and their cursors."""
        return dict(self._writer.cursors)

    def cursor(self, name: str) -> int:
        """The last seq sink ``name`` confirmed (durably)."""
        try:
            return self._writer.cursors[name]
        except KeyError:
            raise UnknownSinkError(self.path, f"sink {name!r} is not registered") from None

    async def advance(self, name: str, seq: int) -> int:
        """Record that sink ``name`` confirmed everything up to ``seq``; returns the cursor.

        Cursors only move forward: an older seq is ignored. A seq past the
        last stored event is a bug (``ValueError``).
        """
        current = self.cursor(name)
        if seq <= current:
            return current
        if seq > self._writer.last_seq:
            raise ValueError(f"seq {seq} is past the last seq {self._writer.last_seq}")
        self._check_open()
        future: asyncio.Future[int] = self._loop.create_future()
        self._writer.submit(AdvanceJob(name, seq, future))
        return await future

    async def ping(self) -> None:
        """A no-op round trip through the writer's queue (the watchdog's liveness check)."""
        await self._call(partial(int))

    async def maintain(self, now: datetime | None = None) -> MaintenanceReport:
        """Delete delivered events older than the look-back window, in chunks."""
        cutoff = retention_cutoff(now or utcnow(), self.options.retention_days)
        deleted = 0
        while True:
            n: int = await self._call(partial(self._writer.expire, cutoff))
            deleted += n
            if n < self.options.maintenance_chunk:
                break
        size = await asyncio.to_thread(self._reader.size)
        return MaintenanceReport(
            deleted=deleted,
            delivered_seq=self._writer.delivered_seq(),
            size_bytes=size,
            full=self.full,
        )

    # -- reading -------------------------------------------------------------

    def read(
        self,
        after_seq: int = 0,
        limit: int = 500,
        *,
        machine: str | None = None,
        channel: Channel | str | None = None,
        event: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[StoredEvent]:
        """A page of stored events in seq order (see ``reader`` for the filters)."""
        return self._reader.read(
            after_seq=after_seq,
            limit=limit,
            machine=machine,
            channel=channel,
            event=event,
            since=since,
            until=until,
        )

    def resume_points(self) -> dict[str, str]:
        """Per machine, the last resume point committed with its events (see ``append``).

        The store never reads them: each protocol adapter defines its own.
        """
        return self._reader.resume_points()

    def last_seq(self) -> int:
        """The highest seq committed (0 for an empty new store)."""
        return self._writer.last_seq

    def depth(self, sink: str | None = None) -> Depth:
        """Undelivered rows for ``sink`` (or for all sinks: the slowest one decides).

        Undelivered rows are never deleted and seqs are consecutive, so the
        count is ``last_seq - cursor`` without a scan. No sinks: nothing waits.
        """
        if sink is None:
            if not self._writer.cursors:
                return Depth(0, None)
            cursor = self._writer.delivered_seq()
        else:
            cursor = self.cursor(sink)
        count = max(0, self._writer.last_seq - cursor)
        return Depth(count, self._reader.oldest_after(cursor) if count else None)

    async def follow(
        self,
        after_seq: int = 0,
        *,
        machine: str | None = None,
        channel: Channel | str | None = None,
        event: str | None = None,
        page: int = 100,
    ) -> AsyncIterator[StoredEvent]:
        """Every matching event after ``after_seq``, then each new one as it is committed.

        Wakes on commits (no polling); ends when the store closes.
        """
        seq = after_seq
        while not self._reader.closed:
            committed = self._committed
            horizon = self._writer.last_seq
            rows = self.read(seq, page, machine=machine, channel=channel, event=event)
            for row in rows:
                yield row
            if rows:
                seq = rows[-1].seq
                if len(rows) == page:
                    continue
            seq = max(seq, horizon)  # every row up to horizon has been examined
            if self._closed:
                return
            if seq >= self._writer.last_seq:
                await committed.wait()

    async def wait_beyond(self, seq: int) -> None:
        """Return once an event after ``seq`` is committed; ``StoreClosed`` once closed.

        Wakes on commits, like :meth:`follow`; a sink waits here when it has
        delivered everything.
        """
        while True:
            self._check_open()
            committed = self._committed
            if self._writer.last_seq > seq:
                return
            await committed.wait()

    # -- lifecycle -----------------------------------------------------------

    async def close(self) -> None:
        """Commit what is queued, resolve every pending append, close the file.

        Idempotent. If the caller is cancelled, ``CancelledError`` propagates
        while the shutdown itself runs on (shielded); a later ``close()``
        waits for the same shutdown.
        """
        if self._closing is None:
            self._closed = True
            self._closing = asyncio.ensure_future(self._shutdown())
        await asyncio.shield(self._closing)

    async def _shutdown(self) -> None:
        self._writer.stop()
        await asyncio.to_thread(self._writer.join)
        self._reader.close()
        self._wake_followers()
        await asyncio.to_thread(self._writer.close_connection)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- internals -----------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed(self.path, "the store is closed")

    async def _call(self, fn: partial[Any]) -> Any:
        self._check_open()
        future: asyncio.Future[Any] = self._loop.create_future()
        self._writer.submit(CallJob(fn, future))
        return await future

    def _wake_followers(self) -> None:
        committed, self._committed = self._committed, asyncio.Event()
        committed.set()


def _open_writer(
    *,
    path: Path,
    agent_id: str,
    options: StoreOptions,
    hooks: StoreHooks,
    loop: asyncio.AbstractEventLoop,
    on_commit: Callable[[], None],
) -> tuple[Writer, MovedAside | None]:
    """Runs in a worker thread: integrity check, migrations, the corruption alarm."""

    def connect() -> sqlite3.Connection:
        conn = connect_writer(path, options.busy_timeout_ms)
        configure_writer(conn)
        if hooks.on_connect is not None:
            hooks.on_connect(conn)
        return conn

    conn, moved = open_checked(path, options)
    try:
        if hooks.on_connect is not None:
            hooks.on_connect(conn)
        if moved is not None:
            data = {"moved_to": str(moved.moved_to), "reason": moved.reason}
            corrupted = alarms.alarm(
                alarms.STORE_CORRUPTED, agent_id=agent_id, at=utcnow(), data=data
            )
            write_events(conn, agent_id, [corrupted])
        writer = Writer(
            conn,
            connect=connect,
            path=path,
            agent_id=agent_id,
            options=options,
            hooks=hooks,
            loop=loop,
            on_commit=on_commit,
        )
    except BaseException:
        conn.close()
        raise
    return writer, moved
