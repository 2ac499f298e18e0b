"""Upstream sinks: each delivers the store's outbox to one upstream, at least once.

A sink has a ``name`` (its cursor in the store), a ``run()`` coroutine that
delivers until cancelled and never raises for an upstream problem, and a
``snapshot()`` of its state for the status page. ``build_sinks`` makes the
configured ones; the store must know their names (``register_sinks``)
before the pollers start, so nothing is deleted before every sink has it.
"""

from __future__ import annotations

from typing import Protocol

from agent.config import AgentConfig
from agent.store import Store

from .amqp import AmqpSink
from .outbox import DeliveryFailedError, OutboxPump
from .status import SinkSnapshot, SinkState


class Sink(Protocol):
    name: str

    async def run(self) -> None: ...

    def snapshot(self) -> SinkSnapshot: ...


def build_sinks(config: AgentConfig, store: Store) -> list[Sink]:
    sinks: list[Sink] = []
    if config.upstream.amqp is not None:
        sinks.append(AmqpSink(config.upstream.amqp, store, config.agent.id))
    return sinks


__all__ = [
    "DeliveryFailedError",
    "OutboxPump",
    "Sink",
    "SinkSnapshot",
    "SinkState",
    "build_sinks",
]
