"""An agent's HTTP app over a real store, for API tests through ASGI (no socket, no serial).

The pollers exist (the view reads their counters) but never run, so machines
are offline and actions time out quickly; the store is a real SQLite file
with events appended by the test.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from agent.config import AgentConfig, config_for_demo
from agent.events.envelope import Channel, Event
from agent.http.app import create_app
from agent.http.security import AuditLog
from agent.http.view import LiveFeed
from agent.lines.registry import build_adapter
from agent.poller import Poller
from agent.runtime import Agent
from agent.store import Store

ROLES = ("viewer", "technician", "operator", "admin")
MACHINES = ("M1", "M2", "M3")
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def token_of(role: str) -> str:
    return f"test-token-for-{role}-0123456789abcdef"


def tokens_config(**http: Any) -> dict[str, Any]:
    tokens = [
        {
            "name": f"{role}-user",
            "role": role,
            "sha256": hashlib.sha256(token_of(role).encode()).hexdigest(),
        }
        for role in ROLES
    ]
    return {"tokens": tokens, "anonymous_role": "none", **http}


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_of(role)}"}


def make_config(directory: Path, http: dict[str, Any] | None = None) -> AgentConfig:
    base = config_for_demo(
        [(f"socket://127.0.0.1:{9}", [(n, mid) for n, mid in enumerate(MACHINES, 1)])],
        directory / "data",
    )
    data = base.model_dump(mode="python")
    data["http"] = {**data["http"], **(http or {})}
    data["agent"]["data_dir"] = str(directory / "data")
    return AgentConfig.model_validate(data, context={"source": "<test>"})


def sample_events(count: int) -> list[Event]:
    """``count`` events over three machines, one a minute from T0, alternating channels."""
    out = []
    for n in range(count):
        cash = n % 2 == 0
        out.append(
            Event(
                event="billAccepted" if cash else "doorOpened",
                channel=Channel.CASH if cash else Channel.ENTRIES,
                timestamp=T0 + timedelta(minutes=n),
                machine=MACHINES[n % 3],
                line="line-1",
                protocol="sas",
                data={"amount_cents": 500, "currency": "USD"} if cash else {"door": "slot"},
                raw={"protocol": "sas", "code": 0x4F if cash else 0x11},
            )
        )
    return out


@dataclass
class Api:
    client: httpx.AsyncClient
    agent: Agent
    audit: AuditLog
    feed: LiveFeed


@asynccontextmanager
async def running_api(
    directory: Path,
    *,
    http: dict[str, Any] | None = None,
    events: int = 0,
    client_ip: str = "127.0.0.1",
) -> AsyncIterator[Api]:
    config = make_config(directory, http)
    config.store_path.parent.mkdir(parents=True, exist_ok=True)
    store = await Store.open(config.store_path, config.agent.id)
    await store.register_sinks([])
    if events:
        await store.append(sample_events(events))
    pollers = [Poller(build_adapter(line, config.agent), store) for line in config.lines]
    agent = Agent(config=config, store=store, pollers=pollers)
    audit = AuditLog(
        config.agent.data_dir / "audit.sqlite", retention_days=config.http.audit_retention_days
    )
    await audit.open()
    feed = LiveFeed(agent)
    feed_task = asyncio.create_task(feed.run(started_from=0))
    app = create_app(agent, feed, audit, action_timeout=0.2)
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
            while feed.seen_seq < store.last_seq():
                await asyncio.sleep(0.01)
            yield Api(client=client, agent=agent, audit=audit, feed=feed)
    finally:
        feed_task.cancel()
        await asyncio.gather(feed_task, return_exceptions=True)
        await audit.close()
        await store.close()
