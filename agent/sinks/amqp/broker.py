"""Reaching the broker: URLs in failover order, TLS, the connection, the topology.

Rules:

* every step is bounded by a timeout, so a broker that accepts TCP and then
  says nothing cannot hold the sink forever;
* URLs are tried in the configured order on each round; the sink backs off
  between rounds (``agent.backoff.Backoff``: jittered exponential);
* ``amqps://`` uses a verifying TLS context (the system CAs, or ``ca_file``),
  with a client certificate when one is configured;
* the topology (a durable topic exchange, then each configured consumer
  queue, durable, with its bindings) is declared idempotently on every
  connect, so a queue exists, and keeps events, before its consumer ever
  connects. With ``declare = false`` the exchange must already exist and is
  checked passively.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aiormq.abc
import aiormq.exceptions
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from yarl import URL

from agent.config.upstream import AmqpQueue, AmqpUpstream, redact_url

CLOSE_TIMEOUT_S = 5.0
MAX_ERROR_TEXT = 300
CONFIRMS_CHANNEL = {"publisher_confirms": True, "on_return_raises": True}


@dataclass(slots=True)
class BrokerLink:
    """An open connection with its confirm-mode channel (topology declared)."""

    url: str
    """Redacted: safe for status and logs."""
    connection: Any
    channel: AbstractChannel
    publisher: aiormq.abc.AbstractChannel
    """aio-pika's own aiormq channel under ``channel``: publishing straight to it
    skips building an ``aio_pika.Message`` per event (the hot path)."""
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the connection or the channel closes, for whatever reason."""
    close_reason: str = ""

    def __post_init__(self) -> None:
        self.connection.close_callbacks.add(self._on_close)
        self.channel.close_callbacks.add(self._on_close)
        if not self._transport_open():  # it closed before the callbacks were in place
            self._on_close(None, None)

    def _on_close(self, _sender: object, exc: BaseException | None = None) -> None:
        self.mark_broken(describe(exc))

    def mark_broken(self, reason: str) -> None:
        """Take this link out of use (closed, or no longer trusted after a timeout)."""
        if not self.closed.is_set():
            self.close_reason = reason
            self.closed.set()

    def _transport_open(self) -> bool:
        # aio-pika's Connection.is_closed turns true only after an explicit close();
        # the aiormq connection under it knows when the broker or the network went away
        transport = getattr(self.connection, "transport", None)
        if transport is None or transport.connection.is_closed:
            return False
        return not self.channel.is_closed

    @property
    def is_open(self) -> bool:
        return not self.closed.is_set() and self._transport_open()

    async def close(self) -> None:
        await close_quietly(self.connection)


_closing: set[asyncio.Task[Any]] = set()


async def close_quietly(connection: Any, timeout: float = CLOSE_TIMEOUT_S) -> None:
    """Close ``connection``, waiting at most ``timeout``: a stalled network must not
    hold up a shutdown (``wait_for`` would wait for the cancelled close to finish)."""
    task: asyncio.Task[Any] = asyncio.ensure_future(connection.close())
    _closing.add(task)
    task.add_done_callback(_closed)
    await asyncio.wait({task}, timeout=timeout)


def _closed(task: asyncio.Task[Any]) -> None:
    _closing.discard(task)
    if not task.cancelled():
        task.exception()  # closing a broken connection may fail; it is gone either way


def describe(exc: BaseException | None) -> str:
    """A short, single-line account of a broker or network error for status and logs."""
    if exc is None:
        return "closed"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiormq.exceptions.AMQPError) and exc.args:
        text = f"{type(exc).__name__}: {exc.args[0]}"
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "..."


def tls_context(settings: AmqpUpstream) -> ssl.SSLContext:
    context = ssl.create_default_context(
        cafile=None if settings.ca_file is None else str(settings.ca_file)
    )
    if settings.cert_file is not None:
        context.load_cert_chain(
            str(settings.cert_file), None if settings.key_file is None else str(settings.key_file)
        )
    return context


def with_heartbeat(url: str, heartbeat_s: int) -> URL:
    parsed = URL(url)
    if "heartbeat" in parsed.query:
        return parsed
    return parsed.update_query(heartbeat=heartbeat_s)


async def connect(settings: AmqpUpstream, url: str, connection_name: str) -> BrokerLink:
    """Connect to ``url``, open a confirm-mode channel and declare the topology."""
    parsed = with_heartbeat(url, settings.heartbeat_s)
    context = tls_context(settings) if parsed.scheme == "amqps" else None
    timeout = settings.connect_timeout_s
    connection: AbstractRobustConnection | Any = await aio_pika.connect(
        parsed,
        timeout=timeout,
        ssl_context=context,
        client_properties={"connection_name": connection_name},
    )
    try:
        channel = await asyncio.wait_for(connection.channel(**CONFIRMS_CHANNEL), timeout)
        await asyncio.wait_for(declare_topology(channel, settings), timeout)
        publisher = await channel.get_underlay_channel()
    except BaseException:
        await close_quietly(connection)
        raise
    return BrokerLink(redact_url(url), connection, channel, publisher)


async def declare_topology(channel: AbstractChannel, settings: AmqpUpstream) -> None:
    if not settings.declare:
        await channel.get_exchange(settings.exchange, ensure=True)
        return
    exchange = await channel.declare_exchange(
        settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    for queue in settings.queues:
        declared = await channel.declare_queue(
            queue.name, durable=True, arguments=queue_arguments(queue)
        )
        for pattern in queue.bindings:
            await declared.bind(exchange, routing_key=pattern)


def queue_arguments(queue: AmqpQueue) -> dict[str, Any]:
    return {"x-queue-type": queue.type, **queue.arguments}
