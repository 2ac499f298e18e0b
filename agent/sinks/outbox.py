"""Deliver the outbox to one upstream, in seq order, at least once.

:class:`OutboxPump` reads the store after the sink's cursor and hands each
event to a ``deliver`` coroutine, with at most ``window`` deliveries
unsettled at a time (publisher confirms in flight, say). ``deliver`` returns
when the upstream has confirmed the event and raises :class:`DeliveryFailedError`
when it has not (a nack, a return, a timeout, a lost connection).

Rules:

* The cursor moves only past a contiguous run of confirmed events: the
  first unconfirmed event holds back everything after it, whatever the
  upstream said about later ones.
* A failure ends the run (``run`` raises ``DeliveryFailedError``) after every
  other delivery in flight has settled. The next run starts again at the
  first unconfirmed event and re-sends everything after it in seq order
  (go-back-N), so each machine's events reach the upstream again in their
  order; the ones the upstream already had arrive twice, with the same
  ``id``, flagged ``replayed``.
* After a failure the window is one event until the failed event is
  confirmed: an event the upstream keeps refusing (no queue bound to it, a
  full queue) is retried alone, instead of re-sending a whole window of
  copies behind it at every retry.
* Cursor writes are coalesced: while one ``advance`` commits, further
  confirmations accumulate and the next ``advance`` covers them all. A
  crash between a confirm and its cursor write re-sends, never loses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from agent.events.envelope import StoredEvent
from agent.store import Store, StoreUnavailable

from .status import SinkState

log = logging.getLogger("agent.sinks")

Deliver = Callable[[StoredEvent, bool], Awaitable[None]]
"""``deliver(event, replayed)``: return once confirmed, raise DeliveryFailedError otherwise."""

DEFAULT_PAGE = 256

Pending = deque[tuple[StoredEvent, bool, "asyncio.Task[None]"]]


class DeliveryFailedError(Exception):
    """The upstream did not confirm an event; ``seq`` names it."""

    def __init__(self, reason: str, seq: int | None = None) -> None:
        super().__init__(reason if seq is None else f"seq {seq}: {reason}")
        self.reason = reason
        self.seq = seq


class OutboxPump:
    """Windowed, in-order delivery of one sink's backlog and live events."""

    def __init__(
        self, store: Store, state: SinkState, *, window: int, page: int = DEFAULT_PAGE
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.store = store
        self.state = state
        self.window = window
        self.page = max(page, 1)
        self._advancing: asyncio.Task[None] | None = None
        self._probe_until = 0
        """While ``confirmed_seq`` is below this seq, deliver one event at a time."""
        state.confirmed_seq = max(state.confirmed_seq, store.cursor(state.name))

    async def run(
        self,
        deliver: Deliver,
        *,
        replay_until: int,
        before_fill: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Deliver until a failure (``DeliveryFailedError``) or cancellation; never returns.

        Events up to ``replay_until`` are delivered with ``replayed=True``
        (they were stored before this run began: a backlog). ``before_fill``
        is awaited before new deliveries start (back-pressure hook).
        """
        state = self.state
        after = state.confirmed_seq
        buffered: deque[StoredEvent] = deque()
        pending: Pending = deque()
        try:
            while True:
                window = self.window if state.confirmed_seq >= self._probe_until else 1
                if before_fill is not None and len(pending) < window:
                    await before_fill()
                while len(pending) < window:
                    if not buffered:
                        buffered.extend(self.store.read(after_seq=after, limit=self.page))
                        if not buffered:
                            break
                    event = buffered.popleft()
                    after = event.seq
                    replayed = event.seq <= replay_until
                    pending.append(
                        (event, replayed, asyncio.ensure_future(deliver(event, replayed)))
                    )
                    state.published += 1
                if not pending:
                    await self.store.wait_beyond(after)
                    continue
                head = pending[0][2]
                if not head.done():
                    await _wait(head)
                self._settle(pending)
        except DeliveryFailedError as failure:
            if failure.seq is not None:
                self._probe_until = failure.seq
            await _settle_all(pending)
            raise
        except BaseException:
            await _cancel_all(pending)
            raise
        finally:
            await self._flush()

    def _settle(self, pending: Pending) -> None:
        """Take confirmed deliveries off the head; raise at the first failed one."""
        state = self.state
        now = datetime.now(UTC)
        while pending and pending[0][2].done():
            event, replayed, task = pending[0]
            failure = _failure(task, event.seq)
            if failure is not None:
                raise failure
            pending.popleft()
            state.confirmed += 1
            state.confirmed_seq = event.seq
            if not replayed:
                latency = (now - event.event.timestamp).total_seconds() * 1000
                state.latencies_ms.append(latency)
        self._request_advance()

    def _request_advance(self) -> None:
        if self._advancing is not None and not self._advancing.done():
            return
        if self.state.confirmed_seq > self.store.cursor(self.state.name):
            self._advancing = asyncio.create_task(self._advance())

    async def _advance(self) -> None:
        name = self.state.name
        try:
            while self.state.confirmed_seq > self.store.cursor(name):
                await self.store.advance(name, self.state.confirmed_seq)
        except StoreUnavailable as exc:
            # The events stay undelivered in the store and are re-sent later.
            self.state.error(f"cursor not saved: {exc}")
            log.warning("%s: could not save the cursor: %s", name, exc)

    async def _flush(self) -> None:
        """Let the last cursor write finish (shielded: it must not be cut off)."""
        self._request_advance()
        if self._advancing is not None and not self._advancing.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._advancing)


async def _wait(task: asyncio.Task[None]) -> None:
    """Wait for ``task`` to finish however it ends (its outcome is read by ``_settle``).

    A delivery can end cancelled without this pump being cancelled (aiormq
    rejects pending calls with ``CancelledError`` when it drops a dead
    connection): only our own cancellation propagates.
    """
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except Exception:  # read by _settle
        return


def _failure(task: asyncio.Task[None], seq: int) -> DeliveryFailedError | None:
    if task.cancelled():
        return DeliveryFailedError("delivery cancelled", seq)
    exc = task.exception()
    if exc is None:
        return None
    if isinstance(exc, DeliveryFailedError):
        return exc if exc.seq is not None else DeliveryFailedError(exc.reason, seq)
    return DeliveryFailedError(f"{type(exc).__name__}: {exc}", seq)


async def _settle_all(pending: Pending) -> None:
    """Wait for deliveries in flight to settle (each is bounded by its own timeout)."""
    tasks = [task for _, _, task in pending]
    if not tasks:
        return
    try:
        await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))
    except asyncio.CancelledError:
        await _cancel_all(pending)
        raise


async def _cancel_all(pending: Pending) -> None:
    tasks = [task for _, _, task in pending]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
