"""Simulator on ptys -> agent -> real RabbitMQ -> a consumer, compared with the ledger."""

from __future__ import annotations

import asyncio
import json
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractIncomingMessage

from agent.config import AgentConfig
from agent.config.upstream import AmqpUpstream
from agent.events.protobuf import decode_event
from simulator.ledger import read_ledger
from simulator.ledger_compare import compare, upstream_from_json

from .broker import (
    URL,
    Names,
    delete_topology,
    drain,
    require_broker,
    start_broker,
    stop_broker,
    unique_names,
    wait_for,
)
from .floor import Floor, running, stored_envelopes

pytestmark = pytest.mark.integration

BUSY = """
seed = 11
[defaults]
games_per_minute = 20.0
bills_per_hour = 400.0
door_openings_per_hour = 120.0
tickets_per_hour = 60.0
handpays_per_hour = 20.0
player_cards_per_hour = 60.0
"""

POLL_INTERVAL_S = 0.2


def amqp_settings(names: Names, encoding: str = "protobuf", **extra: Any) -> AmqpUpstream:
    return AmqpUpstream.model_validate(
        {
            "url": URL,
            "exchange": names.exchange,
            "encoding": encoding,
            "reconnect_min_s": 0.2,
            "reconnect_max_s": 1.0,
            "publish_timeout_s": 5.0,
            "queues": [{"name": names.queue("all"), "bindings": ["#"]}],
            **extra,
        }
    )


def with_amqp(settings: AmqpUpstream) -> Any:
    def configure(config: AgentConfig) -> AgentConfig:
        upstream = config.upstream.model_copy(update={"amqp": settings})
        return config.model_copy(update={"upstream": upstream})

    return configure


def decode(message: AbstractIncomingMessage) -> dict[str, Any]:
    if message.content_type == "application/x-protobuf":
        return decode_event(message.body)
    assert message.content_type == "application/json"
    envelope: dict[str, Any] = json.loads(message.body)
    return envelope


def check_contract(message: AbstractIncomingMessage, envelope: dict[str, Any]) -> None:
    """The properties and headers of docs/amqp.md, consistent with the body."""
    assert message.message_id == envelope["id"]
    assert message.type == envelope["event"]
    assert message.app_id == "floor-agent"
    assert message.delivery_mode == DeliveryMode.PERSISTENT
    assert message.routing_key == f"{envelope['channel']}.{envelope['event']}.{envelope['machine']}"
    assert message.timestamp is not None
    seen = datetime.fromisoformat(envelope["timestamp"].replace("Z", "+00:00"))
    stamp = message.timestamp.replace(tzinfo=UTC)
    assert abs((stamp - seen).total_seconds()) < 1
    headers = message.headers
    assert headers["event"] == envelope["event"]
    assert headers["channel"] == envelope["channel"]
    assert headers["machine"] == envelope["machine"]
    assert headers["agent"] == envelope["id"].rsplit(":", 1)[0]
    assert headers["seq"] == envelope["seq"]
    assert headers["replayed"] == envelope["replayed"]


def deduplicated(messages: Sequence[AbstractIncomingMessage]) -> list[dict[str, Any]]:
    """What a consumer keeps: the first copy of each message_id, each checked and decoded."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for message in messages:
        envelope = decode(message)
        check_contract(message, envelope)
        if envelope["id"] not in seen:
            seen.add(envelope["id"])
            out.append(envelope)
    return out


def without_replayed(envelopes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "replayed"} for e in envelopes]


def assert_consumer_has_everything(floor_dir: Path, received: list[dict[str, Any]]) -> None:
    stored = stored_envelopes(floor_dir / "data" / "events.sqlite")
    assert without_replayed(received) == without_replayed(stored)
    report = compare(read_ledger(floor_dir / "ledger.jsonl"), upstream_from_json(received))
    assert report.totals.lost == 0, report.summary()
    assert report.totals.matched >= 10, report.summary()


def poll_intervals(floor: Floor) -> list[float]:
    return [v for p in floor.agent.pollers for s in p.stats().values() for v in s.recent_intervals]


def clear_intervals(floor: Floor) -> None:
    for poller in floor.agent.pollers:
        for stats in poller.stats().values():
            stats.recent_intervals.clear()


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_consumer_receives_every_event_once_with_the_contract(
    tmp_path: Path, encoding: str
) -> None:
    require_broker()
    names = unique_names()
    settings = amqp_settings(names, encoding)

    async def scenario() -> list[AbstractIncomingMessage]:
        try:
            async with running(tmp_path, 4, BUSY, configure=with_amqp(settings)) as floor:
                await asyncio.sleep(15)
                snapshot = floor.agent.sinks[0].snapshot()
                assert snapshot.connected, snapshot
                assert snapshot.failures == 0, snapshot.last_error
                assert snapshot.endpoint == "amqp://guest@127.0.0.1:5672/"
            return await drain(names.queue("all"))
        finally:
            await delete_topology(names, ["all"])

    messages = asyncio.run(scenario())
    received = deduplicated(messages)
    assert len(messages) == len(received)  # no failure, so no copy either
    assert not any(e["replayed"] for e in received)
    assert_consumer_has_everything(tmp_path, received)


def test_broker_outages_lose_nothing_and_do_not_disturb_polling(tmp_path: Path) -> None:
    """The agent starts while the broker is down, then the broker goes away mid-run."""
    require_broker()
    names = unique_names()
    settings = amqp_settings(names)
    intervals: dict[str, list[float]] = {}

    async def scenario() -> list[AbstractIncomingMessage]:
        try:
            await stop_broker()
            async with running(tmp_path, 4, BUSY, configure=with_amqp(settings)) as floor:
                sink = floor.agent.sinks[0]
                await asyncio.sleep(6)
                down = sink.snapshot()
                assert not down.connected
                assert down.last_error is not None and "cannot connect" in down.last_error
                assert down.lag_events > 0
                intervals["broker down at start"] = poll_intervals(floor)
                await start_broker()
                await wait_for(lambda: sink.snapshot().connected, 30, "the first connection")
                await asyncio.sleep(4)
                clear_intervals(floor)
                await stop_broker()
                await wait_for(lambda: not sink.snapshot().connected, 20, "the outage")
                await asyncio.sleep(6)
                intervals["broker stopped mid-run"] = poll_intervals(floor)
                assert sink.snapshot().lag_events > 0
                await start_broker()
                await wait_for(lambda: sink.snapshot().lag_events == 0, 60, "catching up")
                assert sink.snapshot().connected
            return await drain(names.queue("all"))
        finally:
            await start_broker()
            await delete_topology(names, ["all"])

    messages = asyncio.run(scenario())
    received = deduplicated(messages)
    assert any(e["replayed"] for e in received)  # the backlog is flagged
    assert_consumer_has_everything(tmp_path, received)
    for phase, values in intervals.items():
        assert len(values) > 50, phase
        p50 = statistics.median(values)
        p99 = statistics.quantiles(values, n=100)[98]
        # a missed or delayed poll shows as a whole extra interval; jitter of a
        # shared machine does not (bench/amqp_latency.py measures the figures)
        assert abs(p50 - POLL_INTERVAL_S) < 0.01, (phase, p50)
        assert p99 < POLL_INTERVAL_S * 1.5, (phase, p99)
