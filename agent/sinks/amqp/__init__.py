"""The AMQP (RabbitMQ) upstream: see ``sink`` for the rules and docs/amqp.md for the contract."""

from .message import build_message, routing_key
from .sink import SINK_NAME, AmqpSink

__all__ = ["SINK_NAME", "AmqpSink", "build_message", "routing_key"]
