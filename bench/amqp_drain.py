"""Drain rate of a stored backlog through the AMQP sink, against bare aio-pika.

    .venv/bin/python bench/amqp_drain.py [--events 100000] [--window 256] [--queue-type classic]

Both sides use the real RabbitMQ at 127.0.0.1:5672, the same window of
unconfirmed publishes, the same queue type, routing keys of the same shape
and the same bodies (the protobuf encoding of the same events), in the same
run:

* reference: a bare aio-pika publisher (one confirm-mode channel,
  ``mandatory=True``, ``window`` publishes in flight through a semaphore).
  Bodies, routing keys and property values are computed before its clock
  starts, so it only makes each ``aio_pika.Message`` and publishes it;
* floor-agent: ``AmqpSink`` draining a store holding the same events,
  timed from its start until the store's cursor has passed the last event
  (so reading SQLite, building the messages and saving the cursor all count).

Prints events/s for each and the ratio (target: at least 0.8). Each side
publishes into its own fresh queue, deleted afterwards. Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aio_pika

from agent.config.upstream import AmqpUpstream
from agent.events.envelope import Channel, Event, StoredEvent
from agent.sinks.amqp import AmqpSink, build_message, routing_key
from agent.store import Store, StoreOptions

URL = "amqp://guest:guest@127.0.0.1:5672/"
AGENT = "bench-1"
CHUNK = 5000


def events(count: int) -> list[Event]:
    start = datetime.now(UTC) - timedelta(hours=1)
    return [
        Event(
            event="billAccepted" if n % 3 else "gameEnded",
            channel=Channel.CASH if n % 3 else Channel.GAME,
            timestamp=start + timedelta(milliseconds=n),
            machine=f"Slot-{n % 32:03d}",
            line=f"line-{n % 32:03d}",
            protocol="sas",
            data={"amount_cents": 2000, "currency": "USD", "bill_count": n},
            meters={"coin_in_cents": 123400 + n, "coin_out_cents": 98000},
            raw={"protocol": "sas", "code": 0x4F, "data": ""},
        )
        for n in range(count)
    ]


async def bare(queue_type: str, window: int, stored: list[StoredEvent]) -> float:
    names = f"bench.bare.{uuid.uuid4().hex[:8]}"
    # bodies, keys and property values are ready before the clock starts; a bare
    # publisher's own work is the aio-pika message and the publish itself
    prepared = []
    for s in stored:
        m = build_message(s, replayed=True, encoding="protobuf", agent_id=AGENT, app_id="bench")
        fields = {
            "message_id": m.message_id,
            "type": m.type,
            "timestamp": m.timestamp,
            "content_type": m.content_type,
            "delivery_mode": m.delivery_mode,
            "app_id": m.app_id,
            "headers": m.headers,
        }
        prepared.append((routing_key(s), m.body, fields))
    connection = await aio_pika.connect(URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.declare_exchange(names, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(
            names, durable=True, arguments={"x-queue-type": queue_type}
        )
        await queue.bind(exchange, "#")
        gate = asyncio.Semaphore(window)

        async def publish(key: str, body: bytes, fields: dict[str, Any]) -> None:
            try:
                await exchange.publish(aio_pika.Message(body, **fields), key, mandatory=True)
            finally:
                gate.release()

        started = time.perf_counter()
        tasks = []
        for key, body, fields in prepared:
            await gate.acquire()
            tasks.append(asyncio.create_task(publish(key, body, fields)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        await queue.delete(if_unused=False, if_empty=False)
        await exchange.delete()
    return len(prepared) / elapsed


async def agent_sink(queue_type: str, window: int, store: Store) -> float:
    names = f"bench.sink.{uuid.uuid4().hex[:8]}"
    settings = AmqpUpstream.model_validate(
        {
            "url": URL,
            "exchange": names,
            "window": window,
            "queues": [{"name": names, "bindings": ["#"], "type": queue_type}],
        }
    )
    name = f"run-{names}"  # a fresh cursor for this run
    await store.register_sinks([name])
    sink = AmqpSink(settings, store, AGENT, name=name)
    last = store.last_seq()
    started = time.perf_counter()
    task = asyncio.create_task(sink.run())
    while store.cursor(sink.name) < last:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert sink.state.failures == 0, sink.state.last_error
    connection = await aio_pika.connect(URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(names)
        await channel.exchange_delete(names)
    return last / elapsed


async def main_async(count: int, window: int, queue_type: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = await Store.open(Path(directory) / "events.sqlite", AGENT, StoreOptions())
        try:
            batch = events(count)
            for start in range(0, count, CHUNK):
                await store.append(batch[start : start + CHUNK])
            stored = [s for a in range(0, count, CHUNK) for s in store.read(a, CHUNK)]
            print(f"{count} events, window {window}, {queue_type} queue, RabbitMQ 127.0.0.1")
            print("round  bare aio-pika ev/s  floor-agent sink ev/s  ratio")
            ratios = []
            for n in range(rounds):
                reference = await bare(queue_type, window, stored)
                ours = await agent_sink(queue_type, window, store)
                ratios.append(ours / reference)
                print(f"{n + 1:5d}  {reference:18.0f}  {ours:21.0f}  {ours / reference:5.2f}")
            print(f"best ratio {max(ratios):.2f}, worst {min(ratios):.2f}")
        finally:
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--queue-type", choices=["classic", "quorum"], default="classic")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main_async(args.events, args.window, args.queue_type, args.rounds))


if __name__ == "__main__":
    main()
