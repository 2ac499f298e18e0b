"""``/metrics``: values read from the agent's state at scrape time, and a clean ``promtool`` lint.

The agent is built cheaply: a real store in ``tmp_path``, pollers that never
run (their session counters are set by the test) and a fake sink whose
snapshot comes from a real ``SinkState``. The router is mounted on a bare
FastAPI app and scraped through ASGI.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from agent import __version__
from agent.config import config_for_demo
from agent.events.envelope import Channel, Event
from agent.http.metrics import metrics_router
from agent.http.view import FloorView, LiveFeed, p99_of
from agent.lines.adapter import LineSpec
from agent.lines.sas.adapter import SasAdapter
from agent.poller import Poller
from agent.runtime import Agent
from agent.sinks import Sink
from agent.sinks.status import SinkSnapshot, SinkState
from agent.store import Store
from protocols.sas.session_types import SessionConfig

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
OLD = datetime.now(UTC) - timedelta(minutes=10)


class FakeSink:
    """A sink that never runs; its snapshot is a real ``SinkState``'s."""

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.state = SinkState(name)
        self.store = store

    async def run(self) -> None:
        raise NotImplementedError

    def snapshot(self) -> SinkSnapshot:
        return self.state.snapshot(self.store)


def events(count: int) -> list[Event]:
    return [
        Event(
            event="doorOpened",
            channel=Channel.ENTRIES,
            timestamp=OLD + timedelta(seconds=n),
            machine="M1",
            line="line-1",
            protocol="sas",
            data={"door": "slot"},
            raw={"protocol": "sas", "code": 0x11},
        )
        for n in range(count)
    ]


def scrape_with(
    directory: Path,
    *,
    sinks: tuple[str, ...] = (),
    stored: int = 0,
    prepare: Callable[[Agent, list[FakeSink]], None] = lambda agent, sinks: None,
) -> str:
    """Build an agent over two lines (M1, M2 on line-1; M3 on line-2), prepare it, scrape once."""

    async def scenario() -> str:
        config = config_for_demo(
            [
                ("socket://127.0.0.1:9", [(1, "M1"), (2, "M2")]),
                ("socket://127.0.0.1:10", [(1, "M3")]),
            ],
            directory,
        )
        store = await Store.open(config.store_path, config.agent.id)
        try:
            await store.register_sinks(list(sinks))
            if stored:
                await store.append(events(stored))
            fakes = [FakeSink(name, store) for name in sinks]
            pollers = [
                Poller(
                    SasAdapter(
                        LineSpec(
                            name=line.name,
                            port=line.port,
                            protocol="sas",
                            baud=line.baud,
                            wakeup=False,
                            machines=[(m.address, m.id, None) for m in line.machines],
                        ),
                        SessionConfig(),
                    ),
                    store,
                )
                for line in config.lines
            ]
            agent_sinks: list[Sink] = list(fakes)
            agent = Agent(config=config, store=store, pollers=pollers, sinks=agent_sinks)
            prepare(agent, fakes)
            app = FastAPI()
            app.include_router(metrics_router(FloorView(agent, LiveFeed(agent))))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
                response = await client.get("/metrics")
            assert response.status_code == 200
            assert response.headers["content-type"] == CONTENT_TYPE_LATEST
            return response.text
        finally:
            await store.close()

    return asyncio.run(scenario())


def samples(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def busy_floor(agent: Agent, sinks: list[FakeSink]) -> None:
    line1, line2 = agent.pollers
    line1.state.connected = True
    line2.state.reopen_count = 3
    m1 = line1.session.stats(1)
    m1.online = True
    m1.polls, m1.replies, m1.timeouts, m1.crc_errors = 1000, 990, 7, 2
    m1.nacks, m1.busy, m1.failed_polls, m1.reports = 1, 4, 3, 42
    m1.last_reply_at = time.monotonic() - 2.0
    m1.recent_intervals.extend([0.2] * 90 + [0.3] * 10)
    m1.recent_latencies.extend([0.004] * 95 + [0.012] * 5)
    amqp = sinks[0].state
    amqp.up("amqp://broker.example:5672/")
    amqp.blocked = "memory alarm"
    amqp.confirmed_seq = 2
    amqp.published, amqp.confirmed, amqp.failures = 9, 2, 1
    amqp.latencies_ms.extend([10.0] * 50 + [30.0] * 50)


def test_values_follow_the_agent_state(tmp_path: Path) -> None:
    text = scrape_with(tmp_path, sinks=("amqp",), stored=5, prepare=busy_floor)
    got = samples(text)

    def value(name: str, **labels: str) -> float:
        return got[(f"floor_agent_{name}", tuple(sorted(labels.items())))]

    m1 = {"line": "line-1", "machine": "M1"}
    m3 = {"line": "line-2", "machine": "M3"}
    assert value("info", version=__version__, agent="demo") == 1
    assert 0 <= value("uptime_seconds") < 60
    assert value("machine_online", **m1) == 1
    assert value("machine_online", **m3) == 0
    expected = {
        "polls": 1000,
        "replies": 990,
        "timeouts": 7,
        "crc_errors": 2,
        "nacks": 1,
        "busy": 4,
        "failed_polls": 3,
        "exceptions": 42,
    }
    for counter, count in expected.items():
        assert value(f"machine_{counter}_total", **m1) == count, counter
        assert value(f"machine_{counter}_total", **m3) == 0, counter
    assert value("machine_last_reply_age_seconds", **m1) == pytest.approx(2.0, abs=0.5)
    assert value("machine_poll_interval_p99_seconds", **m1) == pytest.approx(0.3)
    assert value("machine_poll_latency_p99_seconds", **m1) == pytest.approx(0.012)
    assert value("line_connected", line="line-1") == 1
    assert value("line_connected", line="line-2") == 0
    assert value("line_reopens_total", line="line-1") == 0
    assert value("line_reopens_total", line="line-2") == 3
    assert value("store_last_seq") == 5
    assert value("store_undelivered_events") == 5
    assert value("store_oldest_undelivered_age_seconds") == pytest.approx(600, abs=30)
    assert value("store_healthy") == 1
    assert value("store_full") == 0
    assert value("sink_connected", sink="amqp") == 1
    assert value("sink_blocked", sink="amqp") == 1
    assert value("sink_lag_events", sink="amqp") == 3
    assert value("sink_oldest_unconfirmed_age_seconds", sink="amqp") == pytest.approx(598, abs=30)
    assert value("sink_published_total", sink="amqp") == 9
    assert value("sink_confirmed_total", sink="amqp") == 2
    assert value("sink_failures_total", sink="amqp") == 1
    assert value("sink_connects_total", sink="amqp") == 1
    assert value("sink_latency_p50_seconds", sink="amqp") == pytest.approx(0.02)
    assert value("sink_latency_p99_seconds", sink="amqp") == pytest.approx(0.03)


def test_values_not_known_yet_are_absent_and_nothing_waiting_is_zero(tmp_path: Path) -> None:
    def idle_sink(agent: Agent, sinks: list[FakeSink]) -> None:
        sinks[0].state.latencies_ms.append(5.0)  # one sample: no percentile yet

    got = samples(scrape_with(tmp_path, sinks=("amqp",), prepare=idle_sink))
    names = {name for name, _ in got}
    assert "floor_agent_machine_last_reply_age_seconds" not in names
    assert "floor_agent_machine_poll_interval_p99_seconds" not in names
    assert "floor_agent_machine_poll_latency_p99_seconds" not in names
    assert "floor_agent_sink_latency_p50_seconds" not in names
    assert got[("floor_agent_store_undelivered_events", ())] == 0
    assert got[("floor_agent_store_oldest_undelivered_age_seconds", ())] == 0
    assert got[("floor_agent_sink_oldest_unconfirmed_age_seconds", (("sink", "amqp"),))] == 0
    assert got[("floor_agent_sink_connected", (("sink", "amqp"),))] == 0


def test_every_metric_has_help_and_the_agent_prefix(tmp_path: Path) -> None:
    text = scrape_with(tmp_path, sinks=("amqp",), stored=5, prepare=busy_floor)
    families = list(text_string_to_metric_families(text))
    assert len(families) == 31
    for family in families:
        assert family.name.startswith("floor_agent_")
        assert family.documentation
    assert "floor_agent" not in generate_latest(REGISTRY).decode()  # never the global registry


def test_promtool_finds_no_problems(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        message = "promtool is not installed (Debian package prometheus; scripts/system-deps)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    for prepare, sinks in ((busy_floor, ("amqp",)), (_nothing, ())):
        text = scrape_with(tmp_path / str(len(sinks)), sinks=sinks, stored=5, prepare=prepare)
        lint = subprocess.run(
            [promtool, "check", "metrics"],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert lint.returncode == 0, lint.stdout + lint.stderr
        assert lint.stdout + lint.stderr == ""


def _nothing(agent: Agent, sinks: list[FakeSink]) -> None:
    pass


@given(st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), max_size=300))
def test_p99_is_the_cut_the_api_shows(values: list[float]) -> None:
    if len(values) < 2:
        assert p99_of(values) is None
    else:
        api = statistics.quantiles(values, n=100, method="inclusive")[98]
        assert p99_of(values) == pytest.approx(api, rel=1e-9, abs=1e-12)
