"""Simulator on real ptys -> agent -> SQLite, compared with the simulator's ledger."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from agent.events.envelope import Event, StoredEvent
from agent.store import Store

from .floor import compare_with_ledger, running, stored_envelopes

pytestmark = pytest.mark.integration

BUSY = """
seed = 5
[defaults]
games_per_minute = 20.0
bills_per_hour = 400.0
door_openings_per_hour = 120.0
tickets_per_hour = 60.0
handpays_per_hour = 20.0
player_cards_per_hour = 60.0
"""

HOSTILE = (
    BUSY
    + """
[faults]
bit_flip = 0.1
drop_byte = 0.05
late_reply = 0.05
garbage = 0.05
[[faults.timed]]
at = 6.0
machines = ["2"]
kind = "silence"
seconds = 7.0
[[faults.timed]]
at = 9.0
machines = ["3"]
kind = "power_cycle"
"""
)


def test_every_event_reaches_the_store_in_order(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, 4, BUSY) as floor:
            await asyncio.sleep(20)
            online = [s.online for p in floor.agent.pollers for s in p.stats().values()]
            assert all(online)

    asyncio.run(scenario())
    store_path = tmp_path / "data" / "events.sqlite"
    report = compare_with_ledger(tmp_path / "ledger.jsonl", store_path)
    assert report.ok, report.summary()
    assert report.totals.matched >= 20
    names = {e["event"] for e in stored_envelopes(store_path)}
    assert {"online", "machineIdentified", "metersRead"} <= names


def test_hostile_line_loses_nothing_and_links_recover(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, 4, HOSTILE) as floor:
            await asyncio.sleep(25)
            stats = {m: s for p in floor.agent.pollers for m, s in p.stats().items()}
            assert all(s.online for s in stats.values())
            assert sum(s.crc_errors for s in stats.values()) > 0
            assert sum(s.timeouts for s in stats.values()) > 0

    asyncio.run(scenario())
    store_path = tmp_path / "data" / "events.sqlite"
    report = compare_with_ledger(tmp_path / "ledger.jsonl", store_path)
    assert report.totals.lost == 0, report.summary()
    assert report.totals.out_of_order == 0, report.summary()
    events = stored_envelopes(store_path)
    # A machine may report again what it reported just before a loop break or a power
    # cut (SAS cannot tell whether it saw the acknowledgement): such a repeat is the
    # first report after the machine came back, and it is flagged for consumers.
    flagged = {e["seq"] for e in events if e["possible_duplicate"]}
    for machine in report.machines.values():
        for duplicate in machine.duplicated:
            assert duplicate.seq in flagged, f"unflagged repeat {duplicate}: {report.summary()}"
    assert report.totals.duplicated <= 2, report.summary()  # the silence and the power cut
    offline = [e for e in events if e["event"] == "offline"]
    assert any(e["machine"] == "sim-002" for e in offline)  # the silence
    online_again = [e for e in events if e["event"] == "online" and e["machine"] == "sim-002"]
    assert len(online_again) >= 2


QUIET = """
[defaults]
games_per_minute = 0.0
bills_per_hour = 0.0
door_openings_per_hour = 0.0
tickets_per_hour = 0.0
ticket_ins_per_hour = 0.0
handpays_per_hour = 0.0
player_cards_per_hour = 0.0
tilts_per_hour = 0.0
"""


def test_machine_keeps_its_exception_while_the_store_commit_is_held(tmp_path: Path) -> None:
    async def scenario() -> None:
        store_path = tmp_path / "data" / "events.sqlite"
        store_path.parent.mkdir(parents=True)
        store = await Store.open(store_path, "demo")
        real_append = store.append
        release = asyncio.Event()
        release.set()
        held: list[int] = []

        async def append(
            events: Sequence[Event], *, resume: Mapping[str, str] | None = None
        ) -> list[StoredEvent]:
            if not release.is_set():
                held.append(len(events))
                await release.wait()
            return await real_append(events, resume=resume)

        store.append = append  # type: ignore[method-assign]
        async with running(tmp_path, 1, QUIET, store=store) as floor:
            egm = floor.simulator.egms[0]
            while not floor.agent.pollers[0].stats()["sim-001"].online:
                await asyncio.sleep(0.1)
            await asyncio.sleep(4.0)  # identification and the baseline meters
            release.clear()
            egm.report(
                egm.model.incident("door_open", floor.simulator.now(), door="slot"),
                floor.simulator.now(),
            )
            await asyncio.sleep(5.0)  # longer than the keep-alive period
            assert held, "the poller never tried to store the exception"
            floor.simulator.ledger.flush()
            records = ledger_records(tmp_path / "ledger.jsonl")
            reported = [r for r in records if r.get("type") == "event" and r.get("code") == 0x11]
            assert len(reported) == 1
            acked = {r["seq"] for r in records if r.get("type") == "ack"}
            assert reported[0]["seq"] not in acked  # never acknowledged while not durable
            assert len(egm.queue) == 1  # the machine still holds it
            release.set()
            await asyncio.sleep(2.0)
            floor.simulator.ledger.flush()
            acked = {
                r["seq"]
                for r in ledger_records(tmp_path / "ledger.jsonl")
                if r.get("type") == "ack"
            }
            assert reported[0]["seq"] in acked
            assert len(egm.queue) == 0

    asyncio.run(scenario())
    report = compare_with_ledger(tmp_path / "ledger.jsonl", tmp_path / "data" / "events.sqlite")
    assert report.ok, report.summary()


def ledger_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
