"""Latency from the serial read to the broker's confirm, at 32 machines of normal play.

    .venv/bin/python bench/amqp_latency.py [--machines 32] [--seconds 60]

``python -m simulator`` runs the machines in a child process (one pty per
machine, the busy_friday scenario: about nine games a minute on every
machine); the agent runs in this process with the AMQP sink publishing to
the real RabbitMQ at 127.0.0.1:5672 (protobuf, one durable classic queue
bound to ``#``, deleted afterwards).

For every live event the sink records the time from the event's
``timestamp`` (stamped when the agent read the reply off the serial port,
truncated to the millisecond, so figures can read up to 1 ms high) to the
broker's publisher confirm: store commit, read-back, encoding, publish and
confirm. In the same run, a bare aio-pika publisher measures the broker's
own publish-to-confirm round trip as the reference. Also printed: the poll
interval p99 (the pollers must not notice the sink) and the agent's CPU.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aio_pika

from agent.config import AgentConfig
from agent.config.upstream import AmqpUpstream
from agent.runtime import Agent
from agent.service import serve
from agent.sinks.status import latency_percentiles
from bench.agent_polling import cpu_seconds, percentile, start_simulator
from simulator.runner import raise_file_limit

URL = "amqp://guest:guest@127.0.0.1:5672/"
WARM_UP = 8.0


def with_amqp(config: AgentConfig, names: str) -> AgentConfig:
    amqp = AmqpUpstream.model_validate(
        {"url": URL, "exchange": names, "queues": [{"name": names, "bindings": ["#"]}]}
    )
    return config.model_copy(update={"upstream": config.upstream.model_copy(update={"amqp": amqp})})


async def broker_round_trips(count: int) -> list[float]:
    """The reference: publish-to-confirm of single messages on an idle channel, in ms."""
    names = f"bench.rtt.{uuid.uuid4().hex[:8]}"
    out: list[float] = []
    connection = await aio_pika.connect(URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.declare_exchange(names, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(names, durable=True)
        await queue.bind(exchange, "#")
        for n in range(count):
            message = aio_pika.Message(b"x" * 400, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            started = time.perf_counter()
            await exchange.publish(message, f"cash.billAccepted.m{n}", mandatory=True)
            out.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.01)
        await queue.delete(if_unused=False, if_empty=False)
        await exchange.delete()
    return out


async def measure(machines: int, seconds: float) -> None:
    names = f"bench.latency.{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        simulator, config = await start_simulator(base, machines)
        config = with_amqp(config, names)
        stop = asyncio.Event()
        agents: list[Agent] = []
        task = asyncio.create_task(serve(config, stop, on_ready=agents.append))
        try:
            while not agents:
                await asyncio.sleep(0.05)
            await asyncio.sleep(WARM_UP)
            agent = agents[0]
            sink = agent.sinks[0]
            sink_state = sink.state  # type: ignore[attr-defined]
            sink_state.latencies_ms.clear()
            for poller in agent.pollers:
                for stats in poller.stats().values():
                    stats.recent_intervals.clear()
            confirmed0 = sink_state.confirmed
            cpu0, wall0 = cpu_seconds(), time.monotonic()
            await asyncio.sleep(seconds)
            cpu = (cpu_seconds() - cpu0) / (time.monotonic() - wall0)
            latencies = list(sink_state.latencies_ms)
            confirmed = sink_state.confirmed - confirmed0
            intervals = [
                v * 1000
                for p in agent.pollers
                for s in p.stats().values()
                for v in s.recent_intervals
            ]
            failures = sink_state.failures
        finally:
            stop.set()
            await task
            simulator.terminate()
            simulator.wait(timeout=30)
            connection = await aio_pika.connect(URL)
            async with connection:
                channel = await connection.channel()
                await channel.queue_delete(names)
                await channel.exchange_delete(names)
    reference = await broker_round_trips(500)
    p50, p99 = latency_percentiles(latencies)
    r50, r99 = statistics.median(reference), percentile(reference, 0.99)
    print(f"{machines} machines, busy_friday, {seconds:.0f} s after {WARM_UP:.0f} s warm-up")
    print(
        f"events confirmed by the broker: {confirmed} ({confirmed / seconds:.1f}/s), "
        f"publish failures {failures}"
    )
    print(
        f"serial read -> broker confirm: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(latencies):.1f} ms ({len(latencies)} events)"
    )
    print(
        f"reference, bare publish -> confirm on an idle channel: p50 {r50:.2f} ms, p99 {r99:.2f} ms"
    )
    print(
        f"poll interval (200 ms configured): p50 {statistics.median(intervals):.1f} ms, "
        f"p99 {percentile(intervals, 0.99):.1f} ms; agent CPU {cpu:.3f} core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    raise_file_limit(8 * args.machines + 256)
    asyncio.run(measure(args.machines, args.seconds))


if __name__ == "__main__":
    main()
