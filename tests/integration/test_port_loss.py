"""A serial port disappears under the agent (a USB adapter unplugged) and comes back.

Two machines, each on its own pty. One simulator ``PtyLink`` is closed: the
pty and its path vanish. The agent must report that machine offline (naming
the port), keep polling the other line, reopen the port with backoff once a
new pty appears at the same path, bring the machine back online and lose
nothing the machine reported (the ledger comparison).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.events.envelope import StoredEvent
from agent.poller import Poller
from simulator.links import Link, PtyLink
from simulator.wire import SimulatedLine

from .floor import Floor, compare_with_ledger, running

pytestmark = pytest.mark.integration

BUSY = """
seed = 11
[defaults]
games_per_minute = 20.0
bills_per_hour = 600.0
door_openings_per_hour = 120.0
tickets_per_hour = 60.0
player_cards_per_hour = 60.0
"""


class Unplugged(Link):
    """The line while nothing is connected: the machines run on, what they send is lost."""

    def __init__(self, old: PtyLink) -> None:
        super().__init__(old.line, old.loop, old.origin)
        self._port = old.port

    @property
    def port(self) -> str:
        return self._port

    def write(self, data: bytes) -> None:
        self.dropped_writes += 1

    def close(self) -> None:
        pass


@contextlib.contextmanager
def descriptors_held(count: int) -> Iterator[None]:
    """Keep just-closed descriptor numbers from being reused while late replies may still
    be written to them (a reply is scheduled a few ms ahead)."""
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(count)]
    try:
        yield
    finally:
        for fd in held:
            os.close(fd)


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    limit = loop.time() + timeout
    while not predicate():
        assert loop.time() < limit, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def events(floor: Floor, name: str, machine: str) -> list[StoredEvent]:
    return floor.agent.store.read(0, 10_000, event=name, machine=machine)


def replug(floor: Floor, index: int, line: SimulatedLine, path: Path) -> PtyLink:
    old = floor.simulator.links[index]
    link = PtyLink(line, old.loop, old.origin, path)
    floor.simulator.links[index] = link
    return link


def test_unplugged_port_goes_offline_and_comes_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, 2, BUSY) as floor:
            pollers: list[Poller] = floor.agent.pollers
            await until(
                lambda: all(s.online for p in pollers for s in p.stats().values()),
                10.0,
                "both machines online",
            )
            sim = floor.simulator
            lost_link = sim.links[0]
            assert isinstance(lost_link, PtyLink)
            path = lost_link.path
            (gone,) = [egm.machine_id for egm in lost_link.line.machines]
            (lost,) = [p for p in pollers if p.spec.port == str(path)]
            (other,) = [p for p in pollers if p is not lost]
            (kept,) = other.stats()
            await until(lambda: bool(events(floor, "metersRead", gone)), 10.0, "baseline meters")

            # unplug: the machines keep running, the pty and its path vanish
            sim.links[0] = Unplugged(lost_link)
            with descriptors_held(4):
                lost_link.close()
                assert not path.exists()
                await asyncio.sleep(0.1)
            await until(lambda: bool(events(floor, "offline", gone)), 5.0, "offline")
            (offline,) = events(floor, "offline", gone)
            reason = offline.event.data["reason"]
            assert str(path) in reason, reason
            assert not lost.state.connected

            # something happens at the machine while nobody listens
            (egm,) = sim.lines[0].egms
            happened = []
            for door in ("belly", "card_cage", "drop", "cashbox"):
                happened = egm.model.incident("door_open", sim.now(), door=door, seconds=0.5)
                if happened:
                    break
            assert happened, "every door was open already"
            egm.report(happened, sim.now())

            polls = other.stats()[kept].polls
            await asyncio.sleep(2.0)  # the port stays away; the agent keeps trying
            assert other.stats()[kept].polls > polls + 5  # the other line goes on
            assert other.stats()[kept].online
            assert other.state.connected
            assert other.state.reopen_count == 0
            assert not events(floor, "offline", kept)
            assert lost.state.reopen_count >= 2
            assert str(path) in lost.state.last_error  # pyserial: could not open port PATH
            assert not lost.stats()[gone].online

            # plug it back in: a new pty at the same path
            replug(floor, 0, lost_link.line, path)
            await until(
                lambda: any(e.seq > offline.seq for e in events(floor, "online", gone)),
                15.0,
                "online again",
            )
            await until(lambda: lost.state.connected, 5.0, "the port reopened")
            await until(
                lambda: any(e.seq > offline.seq for e in events(floor, "metersRead", gone)),
                10.0,
                "identified and meters read again",
            )
            await asyncio.sleep(2.0)  # what queued up in the machine is reported
            assert lost.stats()[gone].online
            sim.ledger.flush()
            after = [e.event.event for e in floor.agent.store.read(offline.seq, machine=gone)]
            assert "doorOpened" in after, after

    asyncio.run(scenario())
    report = compare_with_ledger(tmp_path / "ledger.jsonl", tmp_path / "data" / "events.sqlite")
    assert report.totals.lost == 0, report.summary()
    assert report.totals.matched >= 5, report.summary()
