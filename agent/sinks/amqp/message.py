"""One stored event as one AMQP message: routing key, properties, headers, body.

The contract (docs/amqp.md):

* routing key ``<channel>.<event>.<machine>`` (each word is free of dots:
  the catalogue and the config guarantee it);
* properties: ``message_id`` = event id (consumers deduplicate by it),
  ``type`` = event name, ``timestamp`` = when the agent saw the event,
  ``content_type``, persistent delivery, ``app_id``;
* headers repeat ``event``, ``channel``, ``machine``, ``agent`` and ``seq``
  (plus ``replayed`` and, for protobuf, the ``schema`` message name);
* body: ``floor.events.v1.Event`` in protobuf, or the JSON envelope
  byte-for-byte as the REST API serves it.
"""

from __future__ import annotations

import json
from typing import Literal

from aio_pika import DeliveryMode, Message
from aio_pika.abc import HeadersType
from pamqp.commands import Basic

from agent.events.envelope import StoredEvent
from agent.events.protobuf import CONTENT_TYPE as PROTOBUF_CONTENT_TYPE
from agent.events.protobuf import MESSAGE_TYPE, encode_event

Encoding = Literal["protobuf", "json"]
JSON_CONTENT_TYPE = "application/json"
PERSISTENT = int(DeliveryMode.PERSISTENT)


def routing_key(stored: StoredEvent) -> str:
    event = stored.event
    return f"{event.channel.value}.{event.event}.{event.machine}"


def encode_body(stored: StoredEvent, *, replayed: bool, encoding: Encoding) -> bytes:
    if encoding == "protobuf":
        return encode_event(stored, replayed=replayed)
    return json_body(stored, replayed=replayed)


def json_body(stored: StoredEvent, *, replayed: bool) -> bytes:
    """The envelope as compact UTF-8 JSON (the REST API's representation)."""
    text = json.dumps(stored.envelope(replayed=replayed), separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def build_properties(
    stored: StoredEvent, *, replayed: bool, encoding: Encoding, agent_id: str, app_id: str
) -> Basic.Properties:
    """The AMQP properties and headers of ``stored`` (the wire form the sink publishes)."""
    event = stored.event
    headers: HeadersType = {
        "event": event.event,
        "channel": event.channel.value,
        "machine": event.machine,
        "agent": agent_id,
        "seq": stored.seq,
        "replayed": replayed,
    }
    if encoding == "protobuf":
        headers["schema"] = MESSAGE_TYPE
        content_type = PROTOBUF_CONTENT_TYPE
    else:
        content_type = JSON_CONTENT_TYPE
    return Basic.Properties(
        message_id=stored.id,
        message_type=event.event,
        timestamp=event.timestamp,
        content_type=content_type,
        delivery_mode=PERSISTENT,
        app_id=app_id,
        headers=headers,
    )


def build_message(
    stored: StoredEvent, *, replayed: bool, encoding: Encoding, agent_id: str, app_id: str
) -> Message:
    """The same message as an ``aio_pika.Message`` (for consumers' tests and the benchmark)."""
    properties = build_properties(
        stored, replayed=replayed, encoding=encoding, agent_id=agent_id, app_id=app_id
    )
    return Message(
        encode_body(stored, replayed=replayed, encoding=encoding),
        message_id=properties.message_id,
        type=properties.message_type,
        timestamp=properties.timestamp,
        content_type=properties.content_type,
        delivery_mode=DeliveryMode.PERSISTENT,
        app_id=properties.app_id,
        headers=properties.headers,
    )
