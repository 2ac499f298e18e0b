"""The agent under a fake systemd: READY=1, STATUS=, WATCHDOG=1 while healthy, STOPPING=1.

A simulated floor on real ptys (``tests/integration/floor.py``) and the agent
run in this event loop; the agent's ``Notifier`` points at a fake
``NOTIFY_SOCKET`` (an abstract AF_UNIX datagram socket) that stamps each
datagram with the loop's time, and WatchdogSec is 1 s. The SIGTERM test runs
``floor-agent run`` as a child process with ``NOTIFY_SOCKET`` in its
environment, as systemd does.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import agent.poller
from agent.lines.adapter import LineSpec
from agent.notify import Notifier
from agent.transport import Transport
from tests.integration.floor import compare_with_ledger, running, start_simulator

from .fake_notify import FakeNotifySocket

pytestmark = pytest.mark.integration

SCENARIO = """
seed = 3
[defaults]
games_per_minute = 30.0
bills_per_hour = 300.0
door_openings_per_hour = 120.0
"""
WATCHDOG_SEC = 1.0
READY_WITHIN = 10.0


@asynccontextmanager
async def fake_systemd() -> AsyncIterator[FakeNotifySocket]:
    fake = FakeNotifySocket.bind_abstract()
    fake.watch(asyncio.get_running_loop())
    try:
        yield fake
    finally:
        fake.close()


def watched_notifier(fake: FakeNotifySocket) -> Notifier:
    usec = str(int(WATCHDOG_SEC * 1_000_000))
    return Notifier({"NOTIFY_SOCKET": fake.value, "WATCHDOG_USEC": usec})


async def wait_for(fake: FakeNotifySocket, key: str, seconds: float) -> float:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while not fake.times(key):
        assert loop.time() < end, f"no {key} within {seconds} s: {fake.received}"
        await asyncio.sleep(0.02)
    return fake.times(key)[0]


def max_gap(times: list[float]) -> float:
    return max(b - a for a, b in itertools.pairwise(times))


def test_ready_watchdog_status_and_stopping(tmp_path: Path) -> None:
    async def scenario() -> FakeNotifySocket:
        async with fake_systemd() as fake:
            started = asyncio.get_running_loop().time()
            async with running(tmp_path, 3, SCENARIO, notifier=watched_notifier(fake)) as floor:
                ready = await wait_for(fake, "READY", READY_WITHIN)
                assert ready - started < READY_WITHIN
                await asyncio.sleep(6.0)
                assert all(s.online for p in floor.agent.pollers for s in p.stats().values())
            return fake

    fake = asyncio.run(scenario())
    ready = fake.times("READY")[0]
    stopping = fake.times("STOPPING", "1")
    assert len(stopping) == 1
    beats = fake.times("WATCHDOG", "1")
    assert beats[0] - ready < WATCHDOG_SEC / 2
    assert len(beats) >= 6 / (WATCHDOG_SEC / 2)
    assert max_gap([ready, *beats]) <= WATCHDOG_SEC / 2
    assert beats[-1] <= stopping[0]  # nothing after STOPPING=1
    assert stopping[0] - beats[-1] <= WATCHDOG_SEC / 2
    assert "3/3 machines online, buffer 0 events" in fake.statuses()[-2]
    # the clean stop committed everything the machines reported
    report = compare_with_ledger(tmp_path / "ledger.jsonl", tmp_path / "data" / "events.sqlite")
    assert report.ok, report.summary()


def test_a_stuck_poller_holds_the_watchdog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stuck: set[str] = set()
    make_transport = agent.poller._default_transport

    def hanging_transport(spec: LineSpec) -> Transport:
        transport = make_transport(spec)
        read = transport.read

        async def read_or_hang(deadline: float) -> bytes:
            if spec.name in stuck:
                await asyncio.Event().wait()  # a poller that never comes back
            return await read(deadline)

        monkeypatch.setattr(transport, "read", read_or_hang)
        return transport

    monkeypatch.setattr(agent.poller, "_default_transport", hanging_transport)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        async with (
            fake_systemd() as fake,
            running(tmp_path, 3, SCENARIO, notifier=watched_notifier(fake)) as floor,
        ):
            await wait_for(fake, "READY", READY_WITHIN)
            await asyncio.sleep(2.0)
            healthy = fake.times("WATCHDOG")
            assert max_gap(healthy) <= WATCHDOG_SEC / 2
            victim = floor.agent.pollers[1].spec.name
            stuck.add(victim)
            hung_at = loop.time()
            await asyncio.sleep(7.0)
            beats = fake.times("WATCHDOG")
            # a poll turn is well under WatchdogSec; then one tick (a third of it) at most
            assert beats[-1] < hung_at + WATCHDOG_SEC + WATCHDOG_SEC / 3 + 0.3
            held = [d for d in fake.received if d.at > beats[-1] and "STATUS" in d.fields]
            assert len(held) >= 2, fake.received  # STATUS goes on without the watchdog
            assert f"watchdog held: line {victim} made no progress" in held[-1].fields["STATUS"]

    asyncio.run(scenario())


def test_default_notifier_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve`` without a notifier uses systemd's (the real module when installed)."""

    async def scenario() -> FakeNotifySocket:
        async with fake_systemd() as fake:
            monkeypatch.setenv("NOTIFY_SOCKET", fake.value)
            monkeypatch.delenv("WATCHDOG_USEC", raising=False)
            async with running(tmp_path, 1, SCENARIO):
                await wait_for(fake, "READY", READY_WITHIN)
                await asyncio.sleep(0.5)
            await wait_for(fake, "STOPPING", 5.0)
            return fake

    fake = asyncio.run(scenario())
    assert not fake.times("WATCHDOG")  # no WatchdogSec: no heartbeat, STATUS only
    assert fake.statuses()[0] == "polling 1 machine(s) on 1 line(s)"
    assert fake.statuses()[1].endswith("machines online, buffer 0 events")


def test_sigterm_sends_stopping_and_exits_0_with_nothing_lost(tmp_path: Path) -> None:
    async def scenario() -> tuple[FakeNotifySocket, int, bytes]:
        simulator, _config = await start_simulator(tmp_path, 3, SCENARIO)
        stop_sim = asyncio.Event()
        sim_task = asyncio.create_task(simulator.run(stop_sim))
        try:
            async with fake_systemd() as fake:
                env = {**os.environ, "NOTIFY_SOCKET": fake.value, "WATCHDOG_USEC": "1000000"}
                env.pop("WATCHDOG_PID", None)
                child = await asyncio.create_subprocess_exec(
                    *[sys.executable, "-m", "agent.cli", "run"],
                    *["--config", str(tmp_path / "floor-agent.toml")],
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT,
                )
                await wait_for(fake, "READY", READY_WITHIN)
                await asyncio.sleep(5.0)
                child.send_signal(signal.SIGTERM)
                output, _ = await asyncio.wait_for(child.communicate(), 30)
                code = await child.wait()
            return fake, code, output
        finally:
            stop_sim.set()
            await sim_task
            simulator.close()

    fake, code, output = asyncio.run(scenario())
    assert code == 0, output.decode()
    assert len(fake.times("STOPPING", "1")) == 1
    assert max_gap([fake.times("READY")[0], *fake.times("WATCHDOG")]) <= WATCHDOG_SEC / 2
    report = compare_with_ledger(tmp_path / "ledger.jsonl", tmp_path / "data" / "events.sqlite")
    assert report.ok, report.summary()
