"""The AMQP sink: the outbox to RabbitMQ, at least once, with publisher confirms.

``AmqpSink.run`` loops for the life of the agent: connect (URLs in order,
jittered exponential backoff between rounds), declare the topology, then
let an :class:`~agent.sinks.outbox.OutboxPump` publish with a bounded window
of unconfirmed messages. Rules:

* a publish counts only when the broker acks it; a nack, a ``basic.return``
  (every message is published *mandatory*), a publish timeout or a lost
  channel is a failure: the event stays in the outbox and is re-sent, in
  order, after a backoff;
* the sink never raises out of ``run`` for a broker problem, and never
  waits on the broker from a poller: pollers only append to the store;
* a blocked connection (RabbitMQ's memory or disk alarm) is back-pressure:
  no new publishes start until the broker unblocks, the state says why,
  and events wait in the outbox meanwhile;
* state for the status page lives in ``self.state`` (no secrets: URLs are
  redacted).
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from aio_pika.exceptions import AMQPError, DeliveryError, PublishError
from pamqp.commands import Basic

from agent.backoff import Backoff
from agent.config.upstream import AmqpUpstream, redact_url
from agent.events.envelope import StoredEvent
from agent.store import Store, StoreClosed

from ..outbox import DeliveryFailedError, OutboxPump
from ..status import SinkSnapshot, SinkState
from .broker import BrokerLink, connect, describe
from .message import build_properties, encode_body, routing_key

log = logging.getLogger("agent.sinks.amqp")

SINK_NAME = "amqp"
BLOCKED_CHECK_S = 0.1
BROKER_ERRORS = (AMQPError, OSError, ConnectionError, TimeoutError, RuntimeError)
"""What a broker, a network or a TLS handshake can throw at us (RuntimeError:
aiormq's "connection closed" states)."""


class AmqpSink:
    """Publishes every stored event to the configured exchange; see the module doc."""

    def __init__(
        self, settings: AmqpUpstream, store: Store, agent_id: str, *, name: str = SINK_NAME
    ) -> None:
        self.name = name
        """The sink's cursor in the store (registered before the pollers start)."""
        # The sink logs every broker failure itself, with its context and without
        # repeating it on every retry; aiormq's own lines would only add noise.
        logging.getLogger("aiormq.connection").setLevel(logging.CRITICAL)
        self.settings = settings
        self.store = store
        self.agent_id = agent_id
        self.state = SinkState(name)
        self.urls = settings.broker_urls()
        self._backoff = Backoff(settings.reconnect_min_s, settings.reconnect_max_s)
        self._pump: OutboxPump | None = None
        self._link: BrokerLink | None = None
        # Events up to here are delivered flagged ``replayed``: at start, what an
        # earlier run left undelivered; after any failure, all stored by then.
        self._replay_until = store.last_seq()
        self._outage = False
        self._next_blocked_check = 0.0

    def snapshot(self) -> SinkSnapshot:
        return self.state.snapshot(self.store)

    async def run(self) -> None:
        """Publish until cancelled; broker trouble is retried, never raised."""
        self._pump = OutboxPump(self.store, self.state, window=self.settings.window)
        try:
            while True:
                try:
                    link = self._link if self._link is not None and self._link.is_open else None
                    if link is None:
                        await self._disconnect()
                        link = await self._connect_any()
                    if link is not None:
                        await self._publish(link)
                        if not link.is_open:
                            await self._disconnect()  # the status says so during the backoff
                except asyncio.CancelledError:
                    if _cancelling():
                        raise
                    # aiormq rejects pending calls with CancelledError when it drops a
                    # connection it found dead: a broker problem like any other
                    self._failed("the connection was dropped (no heartbeat from the broker)")
                    await self._disconnect()
                await asyncio.sleep(self._backoff.next())
        except StoreClosed:
            return
        finally:
            await self._disconnect()

    async def _connect_any(self) -> BrokerLink | None:
        """One round over the URLs; None (and the error recorded) when all failed."""
        for url in self.urls:
            self.state.endpoint = redact_url(url)
            try:
                link = await connect(self.settings, url, f"floor-agent {self.agent_id}")
            except BROKER_ERRORS as exc:
                self._failed(f"cannot connect to {redact_url(url)}: {describe(exc)}")
                continue
            except Exception as exc:  # a broker problem must never stop the agent
                log.exception("amqp: unexpected error while connecting")
                self._failed(f"cannot connect to {redact_url(url)}: {describe(exc)}")
                continue
            self._link = link
            self.state.up(link.url)
            log.info("amqp: connected to %s (exchange %s)", link.url, self.settings.exchange)
            return link
        return None

    async def _publish(self, link: BrokerLink) -> None:
        """Run the pump on ``link`` until a failure or until the connection closes."""
        assert self._pump is not None
        if self._outage:
            self._replay_until = self.store.last_seq()
            self._outage = False
        replay_until = self._replay_until
        before = self.state.confirmed

        pump = asyncio.create_task(
            self._pump.run(
                partial(self._deliver, link),
                replay_until=replay_until,
                before_fill=lambda: self._unblocked(link),
            )
        )
        closed = asyncio.create_task(link.closed.wait())
        try:
            await asyncio.wait((pump, closed), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, closed):
                task.cancel()
            await asyncio.wait((pump, closed))
        if self.state.confirmed > before:
            self._backoff.reset()
        if link.closed.is_set():
            self._failed(f"link to {link.url} dropped: {link.close_reason}; reconnecting")
            return
        if pump.cancelled():
            return
        exc = pump.exception()
        if isinstance(exc, StoreClosed):
            raise exc
        if isinstance(exc, DeliveryFailedError):
            self._failed(str(exc))
        elif isinstance(exc, BROKER_ERRORS):
            self._failed(f"publishing stopped: {describe(exc)}")
        elif exc is not None:
            log.error("amqp: unexpected error while publishing", exc_info=exc)
            self._failed(f"unexpected error: {describe(exc)}")

    async def _deliver(self, link: BrokerLink, stored: StoredEvent, replayed: bool) -> None:
        settings = self.settings
        encoding = settings.encoding
        properties = build_properties(
            stored,
            replayed=replayed,
            encoding=encoding,
            agent_id=self.agent_id,
            app_id=settings.app_id,
        )
        body = encode_body(stored, replayed=replayed, encoding=encoding)
        key = routing_key(stored)
        try:
            confirm = await link.publisher.basic_publish(
                body,
                exchange=settings.exchange,
                routing_key=key,
                properties=properties,
                mandatory=True,
                timeout=settings.publish_timeout_s,
            )
        except PublishError as exc:
            raise DeliveryFailedError(
                f"returned by the broker ({returned_reason(exc)}) for {key}"
            ) from None
        except DeliveryError as exc:
            raise DeliveryFailedError(f"nacked by the broker for {key}: {describe(exc)}") from None
        except TimeoutError:
            reason = f"no confirm within {settings.publish_timeout_s:g} s for {key}"
            waiter = await _ready_unless_blocked(link)
            if waiter is not None:  # back-pressure: wait for the broker on this link
                waiter.cancel()
                self._next_blocked_check = 0.0
                raise DeliveryFailedError(f"{reason}: the broker blocks publishing") from None
            # a half-open connection would time out for ever: reconnect rather than trust it
            link.mark_broken(reason)
            raise DeliveryFailedError(reason) from None
        except BROKER_ERRORS as exc:
            raise DeliveryFailedError(f"channel lost: {describe(exc)}") from None
        if not isinstance(confirm, Basic.Ack):
            raise DeliveryFailedError(f"not acknowledged for {key}: {type(confirm).__name__}")

    async def _unblocked(self, link: BrokerLink) -> None:
        """Wait while the broker blocks this connection (resource alarm).

        Looked at no more than every ``BLOCKED_CHECK_S`` (it costs a task): between
        two looks publishing goes on within the window; what the broker does not
        confirm meanwhile fails after ``publish_timeout_s`` and is re-sent.
        """
        now = asyncio.get_running_loop().time()
        if now < self._next_blocked_check:
            return
        self._next_blocked_check = now + BLOCKED_CHECK_S
        ready = await _ready_unless_blocked(link)
        if ready is None:
            return
        self.state.blocked = "the broker blocked publishing (resource alarm)"
        log.warning("amqp: %s blocked publishing; waiting", link.url)
        try:
            await ready
        finally:
            self.state.blocked = None
        log.info("amqp: %s unblocked", link.url)

    def _failed(self, message: str) -> None:
        self._outage = True
        if self.state.last_error != message:
            log.warning("amqp: %s", message)
        self.state.error(message)

    async def _disconnect(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            self.state.down()
            await link.close()
        else:
            self.state.connected = False


async def _ready_unless_blocked(link: BrokerLink) -> asyncio.Future[Any] | None:
    """None if ``link`` may publish now; else a future that completes when it may.

    aiormq's ``ready()`` completes in one step unless the broker sent
    ``connection.blocked`` (a memory or disk alarm).
    """
    transport: Any = getattr(link.connection, "transport", None)
    if transport is None:
        return None
    ready: asyncio.Future[Any] = asyncio.ensure_future(transport.ready())
    if not ready.done():
        await asyncio.sleep(0)
    if ready.done():
        ready.result()
        return None
    return ready


def _cancelling() -> bool:
    """Whether the running task itself is being cancelled (not just a call inside it)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def returned_reason(exc: PublishError) -> str:
    frame = getattr(exc, "frame", None)
    code = getattr(frame, "reply_code", None)
    text = getattr(frame, "reply_text", None)
    if code is None and text is None:
        return "unroutable"
    return f"{code} {text}".strip()
