"""The real RabbitMQ at 127.0.0.1:5672 for integration tests: names, consuming, outages.

Every test uses its own exchange and queues (a random suffix) and deletes
them afterwards, so tests never see each other's messages. ``require_broker``
skips when no broker answers, except under CI=true, where it fails: CI never
skips a real component (``scripts/services`` starts the broker first).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import uuid
from dataclasses import dataclass
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage

URL = "amqp://guest:guest@127.0.0.1:5672/"


def broker_up(host: str = "127.0.0.1", port: int = 5672) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_broker() -> None:
    if broker_up():
        return
    message = "RabbitMQ is not running at 127.0.0.1:5672 (scripts/services starts it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class Names:
    exchange: str
    prefix: str

    def queue(self, name: str) -> str:
        return f"{self.prefix}.{name}"


def unique_names() -> Names:
    tag = uuid.uuid4().hex[:10]
    return Names(exchange=f"floor.test.{tag}", prefix=f"floor-test-{tag}")


async def delete_topology(names: Names, queues: list[str]) -> None:
    connection = await aio_pika.connect(URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        for queue in queues:
            await channel.queue_delete(names.queue(queue))
        await channel.exchange_delete(names.exchange)


async def drain(queue_name: str, *, idle: float = 1.0) -> list[AbstractIncomingMessage]:
    """Every message in ``queue_name`` (acknowledged), until it stays empty for ``idle`` s."""
    connection = await aio_pika.connect(URL, timeout=10)
    out: list[AbstractIncomingMessage] = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        quiet_since = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - quiet_since < idle:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            out.append(message)
            quiet_since = asyncio.get_running_loop().time()
    return out


async def queue_depth(queue_name: str) -> int:
    connection = await aio_pika.connect(URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        return queue.declaration_result.message_count or 0


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


async def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.05)


async def stop_broker() -> None:
    """Stop the broker's app (the node stays up: ``rabbitmqctl stop_app``)."""
    await asyncio.to_thread(rabbitmqctl, "stop_app")


async def start_broker() -> None:
    """Start the broker's app (idempotent) and wait until it listens."""
    await asyncio.to_thread(rabbitmqctl, "start_app")
    await wait_for(broker_up, 60, "RabbitMQ to listen again")
