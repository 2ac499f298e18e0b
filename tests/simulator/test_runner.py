"""Building and running a simulated floor (simulator/runner.py).

``build`` needs no I/O: its lines are driven here directly, in numeric time,
and ``tick`` is given its clock. One asyncio test opens real ports (ptys, or
TCP on a free port), checks the manifest, runs a few ticks and closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest

from simulator.events import Kind
from simulator.faults import FaultInjector, TimedFault
from simulator.ledger import EventRecord, StartRecord, read_ledger
from simulator.runner import MANIFEST, Simulator, SimulatorOptions, Summary, raise_file_limit
from simulator.sas.egm import EgmConfig
from simulator.scenario import (
    Scenario,
    ScenarioError,
    builtin_scenario,
    load_scenario,
    parse_scenario,
)

from .sas.test_egm import QUIET, Host

QUIET_DEFAULTS = "\n".join(["[defaults]", *(f"{name} = 0.0" for name in QUIET.model_dump())])


def scenario(text: str = "") -> Scenario:
    return parse_scenario(QUIET_DEFAULTS + "\n" + text)


def simulator(tmp_path: Path, machines: int = 1, **options: Any) -> Simulator:
    options.setdefault("scenario", scenario())
    return Simulator(SimulatorOptions(machines=machines, directory=tmp_path / "run", **options))


def test_build_creates_machines_addresses_and_lines(tmp_path: Path) -> None:
    sim = simulator(tmp_path, 5, per_line=2)
    sim.build()
    assert [egm.machine_id for egm in sim.egms] == [f"sim-00{n}" for n in range(1, 6)]
    assert [egm.address for egm in sim.egms] == [1, 2, 1, 2, 1]
    assert [[egm.machine_id for egm in line.egms] for line in sim.lines] == [
        ["sim-001", "sim-002"],
        ["sim-003", "sim-004"],
        ["sim-005"],
    ]
    assert [egm.model.asset_number for egm in sim.egms] == [1, 2, 3, 4, 5]
    assert all(egm.faults is None for egm in sim.egms)
    starts = [r for r in sim.ledger.records if isinstance(r, StartRecord)]
    assert [(r.machine, r.address) for r in starts] == [
        (egm.machine_id, egm.address) for egm in sim.egms
    ]
    assert not (tmp_path / "run").exists()  # build does no I/O


def test_ids_take_the_prefix(tmp_path: Path) -> None:
    sim = simulator(tmp_path, 2, id_prefix="egm-")
    assert sim.ids == ["egm-001", "egm-002"]


@pytest.mark.parametrize(("machines", "per_line"), [(0, 1), (1, 0), (1, 128)])
def test_bad_floors_are_refused(tmp_path: Path, machines: int, per_line: int) -> None:
    with pytest.raises(ValueError, match="at least one machine"):
        simulator(tmp_path, machines, per_line=per_line)


def test_a_scenario_naming_a_missing_machine_is_refused(tmp_path: Path) -> None:
    incident = '[[incidents]]\nat = 1.0\nmachines = ["4"]\nkind = "door_open"\n'
    sim = simulator(tmp_path, 2, scenario=scenario(incident))
    with pytest.raises(ScenarioError, match="beyond the 2 machines"):
        sim.build()


def test_the_machine_clock_is_the_wall_clock_unless_configured(tmp_path: Path) -> None:
    sim = simulator(tmp_path)
    sim.build()
    origin = sim.egms[0].config.clock_origin
    assert abs(origin - datetime.now()) < timedelta(seconds=5)
    configured = datetime(2030, 1, 2, 3, 4, 5)
    sim = simulator(tmp_path, egm=EgmConfig(clock_origin=configured, reply_delay=0.001))
    sim.build()
    assert sim.egms[0].config.clock_origin == configured
    assert sim.egms[0].config.reply_delay == 0.001


def test_the_built_lines_answer_a_host(tmp_path: Path) -> None:
    sim = simulator(tmp_path, 3, per_line=3)
    sim.build()
    host = Host(sim.lines[0])
    host.sync()
    assert host.gp(1) == b"\x00"
    assert host.gp(3) == b"\x00"
    summary = sim.summary()
    assert (summary.machines, summary.polls, summary.replies) == (3, 2, 2)
    assert summary.line() == (
        "machines 3  events 0 (acked 0)  polls 2  replies 2  nacks 0  faults 0"
    )


def test_scenario_incidents_fire_in_tick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        '[[incidents]]\nat = 1.0\nmachines = ["2"]\nkind = "door_open"\n'
        'params = { door = "drop" }\n'
        '[[incidents]]\nat = 2.0\nmachines = ["sim-002"]\nkind = "bill"\n'
        "params = { dollars = 5 }\n"
    )
    sim = simulator(tmp_path, 2, scenario=scenario(text))
    sim.build()
    clock = [0.5]
    monkeypatch.setattr(sim, "now", lambda: clock[0])
    sim.tick()
    assert [len(egm.queue) for egm in sim.egms] == [0, 0]
    clock[0] = 1.5
    sim.tick()
    assert [len(egm.queue) for egm in sim.egms] == [0, 1]
    clock[0] = 3.0
    sim.tick()
    sim.tick()  # each incident once
    assert [len(egm.queue) for egm in sim.egms] == [0, 2]
    assert sim.egms[1].model.credits == 500
    host = Host(sim.lines[1], now=3.0)
    host.sync()
    assert host.gp(1) == b"\x13"
    host.sync()
    assert host.gp(1) == b"\x48"
    host.sync()
    events = [r.event for r in sim.ledger.records if isinstance(r, EventRecord)]
    assert events == ["door_opened", "bill_accepted"]
    assert sim.summary().events == 2 and sim.summary().acks == 2


def test_faults_come_from_the_scenario(tmp_path: Path) -> None:
    text = (
        "[faults]\nbit_flip = 0.5\nlate_reply_ms = 90.0\n"
        '[[faults.timed]]\nat = 5.0\nmachines = ["2"]\nkind = "garbage"\n'
        '[[faults.timed]]\nat = 6.0\nmachines = ["2"]\nkind = "power_cycle"\n'
        '[[faults.timed]]\nat = 7.0\nmachines = ["2"]\nkind = "silence"\nseconds = 4.0\n'
        '[[faults.timed]]\nat = 8.0\nmachines = ["2"]\nkind = "drop_byte"\nseconds = 3.0\n'
    )
    sim = simulator(tmp_path, 2, scenario=scenario(text))
    sim.build()
    first, second = (egm.faults for egm in sim.egms)
    assert isinstance(first, FaultInjector) and isinstance(second, FaultInjector)
    assert (first.rates.bit_flip, first.rates.late_reply_ms) == (0.5, 90.0)
    assert first.timed == []
    assert second.timed == [
        TimedFault(kind="garbage", start=5.0, seconds=1.0),  # a burst of a second by default
        TimedFault(kind="power_cycle", start=6.0, seconds=0.0),
        TimedFault(kind="silence", start=7.0, seconds=4.0),
        TimedFault(kind="drop_byte", start=8.0, seconds=3.0),
    ]


def test_timed_faults_alone_make_an_injector(tmp_path: Path) -> None:
    text = '[[faults.timed]]\nat = 1.0\nmachines = ["1"]\nkind = "fifo_overflow"\n'
    sim = simulator(tmp_path, 2, scenario=scenario(text))
    sim.build()
    injector = sim.egms[0].faults
    assert injector is not None and not injector.rates.any()
    assert sim.egms[1].faults is None
    sim.egms[0].advance(1.0)
    summary = sim.summary()
    assert summary.faults == {"fifo_overflow": 1}
    assert summary.line().endswith("faults 1 (fifo_overflow 1)")


def test_summary_line_lists_faults_by_kind() -> None:
    summary = Summary(machines=2, events=5, acks=4, polls=9, replies=8, nacks=1, chirps=3)
    summary.faults.update({"late_reply": 2, "bit_flip": 1})
    assert summary.line() == (
        "machines 2  events 5 (acked 4)  polls 9  replies 8  nacks 1  "
        "faults 3 (bit_flip 1, late_reply 2)"
    )


def test_a_ledger_file_is_written(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "ledger.jsonl"
    sim = simulator(tmp_path, 2, ledger=path)
    sim.build()
    host = Host(sim.lines[0])
    host.incident(sim.egms[0], "door_open")
    host.sync()
    assert host.gp(1) == b"\x11"
    host.sync()
    sim.ledger.close()
    ledger = read_ledger(path)
    assert sorted(ledger.machines) == ["sim-001", "sim-002"]
    [entry] = ledger.entries("sim-001")
    assert (entry.code, entry.acked_at is not None) == (0x11, True)


# --- the open-files limit -----------------------------------------------------------


@pytest.mark.parametrize(
    ("soft", "hard", "needed", "expected"),
    [
        (1024, 4096, 100, None),  # enough already
        (resource.RLIM_INFINITY, resource.RLIM_INFINITY, 10**6, None),
        (1024, 4096, 2000, (2000, 4096)),
        (1024, 4096, 9000, (4096, 4096)),  # capped by the hard limit
        (1024, resource.RLIM_INFINITY, 9000, (9000, resource.RLIM_INFINITY)),
    ],
)
def test_raise_file_limit(
    monkeypatch: pytest.MonkeyPatch,
    soft: int,
    hard: int,
    needed: int,
    expected: tuple[int, int] | None,
) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (soft, hard))
    monkeypatch.setattr(resource, "setrlimit", lambda _which, limits: calls.append(limits))
    raise_file_limit(needed)
    assert calls == ([] if expected is None else [expected])


# --- ports ------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["pty", "tcp"])
def test_start_writes_the_manifest_and_close_removes_it(
    tmp_path: Path, link: Literal["pty", "tcp"]
) -> None:
    sim = simulator(tmp_path, 3, per_line=2, link=link, ledger=tmp_path / "ledger.jsonl")
    if link == "tcp":
        sim.build()  # start() builds only when nothing is built yet
    directory = tmp_path / "run"

    async def run() -> dict[str, Any]:
        await sim.start()
        manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text())
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.12, stop.set)
        await sim.run(stop)
        assert sim.now() >= 0.1
        sim.close()
        return manifest

    manifest = asyncio.run(run())
    assert (manifest["protocol"], manifest["link"], manifest["pid"]) == ("sas", link, os.getpid())
    assert manifest["ledger"] == str(tmp_path / "ledger.jsonl")
    machines = manifest["machines"]
    assert [(m["id"], m["address"], m["protocol"]) for m in machines] == [
        ("sim-001", 1, "sas"),
        ("sim-002", 2, "sas"),
        ("sim-003", 1, "sas"),
    ]
    ports = [m["port"] for m in machines]
    assert ports[0] == ports[1] != ports[2]  # two lines, the first multi-drop
    if link == "pty":
        assert ports[0] == str(directory / "line-001")
        assert ports[2] == str(directory / "line-002")
    else:
        assert all(port.startswith("socket://127.0.0.1:") for port in ports)
    assert not (directory / MANIFEST).exists()
    assert list(directory.iterdir()) == []  # symlinks gone too
    assert sim.links == []
    assert len(sim.egms) == 3  # not built twice
    assert sorted(read_ledger(tmp_path / "ledger.jsonl").machines) == [
        "sim-001",
        "sim-002",
        "sim-003",
    ]


def test_the_pty_symlinks_point_at_terminals_while_running(tmp_path: Path) -> None:
    sim = simulator(tmp_path, 2)
    directory = tmp_path / "run"

    async def run() -> list[str]:
        await sim.start()
        try:
            targets = [os.readlink(directory / f"line-00{n}") for n in (1, 2)]
            assert all(os.path.exists(target) for target in targets)
            return targets
        finally:
            sim.close()

    targets = asyncio.run(run())
    assert all(target.startswith("/dev/pts/") for target in targets)
    assert len(set(targets)) == 2
    assert not (directory / "line-001").exists() and not (directory / "line-001").is_symlink()


@pytest.mark.parametrize("name", [None, "busy_friday", "hostile_line"])
def test_a_first_run_is_lively_money_arrives_within_seconds(
    tmp_path: Path, name: str | None
) -> None:
    """The default and the demo's scenarios start with players at the machines."""
    scenario = None if name is None else load_scenario(builtin_scenario(name))
    simulator = Simulator(SimulatorOptions(machines=4, directory=tmp_path, scenario=scenario))
    simulator.build()
    for egm in simulator.egms:
        kinds = {event.kind for event in egm.model.advance(3.0)}
        kinds |= {event.kind for event in egm.model.advance(12.0)}
        assert Kind.BILL_ACCEPTED in kinds, egm.machine_id
        assert Kind.GAME_STARTED in kinds, egm.machine_id


def test_in_play_at_start_is_a_chance_per_machine(tmp_path: Path) -> None:
    scenario = parse_scenario("[defaults]\nbills_per_hour = 0.0\nin_play_at_start = 0.0\n")
    simulator = Simulator(SimulatorOptions(machines=3, directory=tmp_path, scenario=scenario))
    simulator.build()
    for egm in simulator.egms:  # nobody came with money: no bill, so no game
        kinds = {event.kind for event in egm.model.advance(60.0)}
        assert not kinds & {Kind.BILL_ACCEPTED, Kind.GAME_STARTED}
