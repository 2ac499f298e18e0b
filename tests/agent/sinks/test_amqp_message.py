"""The AMQP message contract for one event, and the reconnect backoff (no broker)."""

from __future__ import annotations

import json

import pytest
from aio_pika import DeliveryMode

from agent.events.envelope import Channel, StoredEvent, event_id
from agent.events.protobuf import decode_event
from agent.sinks.amqp import build_message, routing_key
from agent.sinks.amqp.broker import with_heartbeat

from ..store.helpers import AGENT, T0, event


def stored(seq: int = 42) -> StoredEvent:
    return StoredEvent(
        seq=seq,
        id=event_id(AGENT, seq),
        event=event(7, machine="Slot-A12", name="billAccepted", channel=Channel.CASH, at=T0),
    )


def test_routing_key_is_channel_event_machine() -> None:
    assert routing_key(stored()) == "cash.billAccepted.Slot-A12"


@pytest.mark.parametrize("replayed", [False, True])
def test_protobuf_message_carries_the_contract(replayed: bool) -> None:
    message = build_message(
        stored(), replayed=replayed, encoding="protobuf", agent_id=AGENT, app_id="floor-agent"
    )
    assert message.message_id == "floor-1:000000000042"
    assert message.type == "billAccepted"
    assert message.content_type == "application/x-protobuf"
    assert message.delivery_mode == DeliveryMode.PERSISTENT
    assert message.app_id == "floor-agent"
    assert message.timestamp == T0  # the wire keeps whole seconds (AMQP 0-9-1)
    assert message.headers == {
        "event": "billAccepted",
        "channel": "cash",
        "machine": "Slot-A12",
        "agent": AGENT,
        "seq": 42,
        "replayed": replayed,
        "schema": "floor.events.v1.Event",
    }
    assert decode_event(message.body) == stored().envelope(replayed=replayed)


def test_json_message_body_is_the_envelope() -> None:
    message = build_message(
        stored(), replayed=False, encoding="json", agent_id=AGENT, app_id="floor-agent"
    )
    assert message.content_type == "application/json"
    assert "schema" not in message.headers
    assert json.loads(message.body) == stored().envelope()


def test_heartbeat_is_added_to_the_url_unless_given() -> None:
    assert str(with_heartbeat("amqp://u:p@h:5672/v", 30)) == "amqp://u:p@h:5672/v?heartbeat=30"
    assert str(with_heartbeat("amqp://h/?heartbeat=5", 30)) == "amqp://h/?heartbeat=5"
