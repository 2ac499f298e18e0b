"""The AMQP sink against the real RabbitMQ: returns, nacks, failover, a blocked broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from agent.config.upstream import AmqpUpstream
from agent.events.envelope import Channel, Event
from agent.sinks.amqp import AmqpSink
from agent.store import Store

from ..agent.store.helpers import AGENT, event, open_store
from .broker import (
    URL,
    Names,
    delete_topology,
    drain,
    queue_depth,
    rabbitmqctl,
    require_broker,
    unique_names,
    wait_for,
)

pytestmark = pytest.mark.integration


def settings(names: Names, queues: list[dict[str, Any]], **extra: Any) -> AmqpUpstream:
    for queue in queues:
        queue["name"] = names.queue(queue["name"])
    return AmqpUpstream.model_validate(
        {
            "url": URL,
            "exchange": names.exchange,
            "reconnect_min_s": 0.1,
            "reconnect_max_s": 0.5,
            "publish_timeout_s": 3.0,
            "queues": queues,
            **extra,
        }
    )


def entries(n: int) -> Event:
    return event(n, name="doorOpened", channel=Channel.ENTRIES, data={"door": "slot"})


@asynccontextmanager
async def sink_running(
    tmp_path: Path, amqp: AmqpUpstream, events: int
) -> AsyncIterator[tuple[Store, AmqpSink]]:
    store = await open_store(tmp_path / "events.sqlite")
    await store.register_sinks(["amqp"])
    # odd seqs are cash events, even seqs entries events
    await store.append([entries(n) if n % 2 else event(n) for n in range(events)])
    sink = AmqpSink(amqp, store, AGENT)
    task = asyncio.create_task(sink.run())
    try:
        yield store, sink
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()


def test_an_unroutable_event_stays_in_the_outbox_until_a_queue_binds_it(tmp_path: Path) -> None:
    require_broker()
    names = unique_names()
    amqp = settings(names, [{"name": "cash", "bindings": ["cash.#"]}])

    async def scenario() -> None:
        try:
            async with sink_running(tmp_path, amqp, 10) as (store, sink):
                # seq 1 is a cash event, seq 2 an entries event nobody is bound to
                await wait_for(lambda: sink.state.failures > 0, 20, "the return")
                await asyncio.sleep(1)
                snapshot = sink.snapshot()
                assert store.cursor("amqp") == 1
                assert snapshot.lag_events == 9
                assert snapshot.last_error is not None
                assert "returned by the broker (312 NO_ROUTE)" in snapshot.last_error
                assert "entries.doorOpened.Slot-A12" in snapshot.last_error
                assert snapshot.connected  # a return is not a connection problem
                # an operator binds a queue for the rest: the sink catches up by itself
                connection = await aio_pika.connect(URL)
                async with connection:
                    channel = await connection.channel()
                    queue = await channel.declare_queue(names.queue("entries"), durable=True)
                    await queue.bind(names.exchange, "entries.#")
                await wait_for(lambda: store.cursor("amqp") == 10, 20, "the catch-up")
            cash = [str(m.message_id) for m in await drain(names.queue("cash"))]
            entries = [str(m.message_id) for m in await drain(names.queue("entries"))]
        finally:
            await delete_topology(names, ["cash", "entries"])
        ids = [f"{AGENT}:{seq:012d}" for seq in range(1, 11)]
        assert sorted(set(cash)) == ids[0::2]
        assert entries == ids[1::2]  # each once, in order

    asyncio.run(scenario())


def test_a_nacked_event_stays_in_the_outbox(tmp_path: Path) -> None:
    require_broker()
    names = unique_names()
    bounded = {
        "name": "bounded",
        "bindings": ["#"],
        "arguments": {"x-max-length": 5, "x-overflow": "reject-publish"},
    }
    amqp = settings(names, [bounded], window=1)

    async def scenario() -> None:
        try:
            async with sink_running(tmp_path, amqp, 8) as (store, sink):
                await wait_for(lambda: sink.state.failures > 0, 20, "the nack")
                await asyncio.sleep(1)
                assert store.cursor("amqp") == 5  # the sixth is refused by the full queue
                snapshot = sink.snapshot()
                assert snapshot.last_error is not None and "nacked" in snapshot.last_error
                assert snapshot.lag_events == 3
                assert await queue_depth(names.queue("bounded")) == 5
                first = await drain(names.queue("bounded"))
                await wait_for(lambda: store.cursor("amqp") == 8, 20, "room in the queue")
                second = await drain(names.queue("bounded"))
        finally:
            await delete_topology(names, ["bounded"])
        seqs = [m.headers["seq"] for m in first + second]
        assert seqs == list(range(1, 9))

    asyncio.run(scenario())


def test_fails_over_to_the_next_url_and_redacts_passwords(tmp_path: Path) -> None:
    require_broker()
    names = unique_names()
    amqp = settings(
        names,
        [{"name": "all", "bindings": ["#"]}],
        url=None,
        urls=["amqp://guest:secret-pw@127.0.0.1:1/", URL],
    )

    async def scenario() -> None:
        try:
            async with sink_running(tmp_path, amqp, 4) as (store, sink):
                await wait_for(lambda: store.cursor("amqp") == 4, 30, "delivery")
                snapshot = sink.snapshot()
                assert snapshot.endpoint == "amqp://guest@127.0.0.1:5672/"
                assert snapshot.last_error is not None
                assert "cannot connect to amqp://guest@127.0.0.1:1/" in snapshot.last_error
                assert "secret-pw" not in repr(snapshot)
        finally:
            await delete_topology(names, ["all"])

    asyncio.run(scenario())


def test_a_blocked_broker_is_back_pressure(tmp_path: Path) -> None:
    """RabbitMQ's memory alarm blocks publishers; the sink waits and then catches up."""
    require_broker()
    names = unique_names()
    amqp = settings(names, [{"name": "all", "bindings": ["#"]}], publish_timeout_s=2.0)

    async def scenario() -> None:
        try:
            async with sink_running(tmp_path, amqp, 3) as (store, sink):
                await wait_for(lambda: store.cursor("amqp") == 3, 20, "the first events")
                await asyncio.to_thread(rabbitmqctl, "set_vm_memory_high_watermark", "0.0000001")
                try:
                    await asyncio.sleep(2)
                    await store.append([event(n) for n in range(3, 8)])
                    await wait_for(lambda: sink.state.blocked is not None, 20, "blocked")
                    await asyncio.sleep(2)
                    assert store.cursor("amqp") == 3
                    assert sink.snapshot().blocked is not None
                finally:
                    await asyncio.to_thread(rabbitmqctl, "set_vm_memory_high_watermark", "0.4")
                await wait_for(lambda: store.cursor("amqp") == 8, 30, "the catch-up")
                assert sink.snapshot().blocked is None
            seqs = [int(str(m.headers["seq"])) for m in await drain(names.queue("all"))]
        finally:
            await delete_topology(names, ["all"])
        assert sorted(set(seqs)) == list(range(1, 9))

    asyncio.run(scenario())
