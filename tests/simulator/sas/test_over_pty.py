"""A host built only from the codec talks to the simulator over real ptys through pyserial.

The simulator runs as ``python -m simulator`` in a child process; the host is
``SasHostSession`` driven by a plain loop over pyserial (``sas_host.Host``).
The ledger the simulator writes is the ground truth.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from protocols.line import FaultReceived, LinkDown
from protocols.sas import requests
from protocols.sas.messages import BillCounts
from protocols.sas.session_types import (
    ExceptionReported,
    MachineIdentified,
    MeterMethod,
    MetersRead,
    ServiceReply,
    SessionConfig,
)
from simulator.ledger import read_ledger
from simulator.ledger_compare import compare, upstream_from_json
from simulator.sas.egm import POWER_CYCLE_SECONDS

from .host import Host, SimulatorProcess

pytestmark = pytest.mark.integration

BUSY = """
seed = 3
[defaults]
games_per_minute = 30.0
bills_per_hour = 900.0
door_openings_per_hour = 240.0
tickets_per_hour = 120.0
player_cards_per_hour = 120.0
"""


@pytest.fixture
def start(tmp_path: Path) -> Iterator[object]:
    started: list[SimulatorProcess] = []

    def launch(*args: str, scenario: str | None = None) -> SimulatorProcess:
        extra = list(args)
        if scenario is not None:
            path = tmp_path / "scenario.toml"
            path.write_text(scenario)
            extra += ["--scenario", str(path)]
        process = SimulatorProcess(tmp_path / "sim", *extra)
        started.append(process)
        return process

    yield launch
    for process in started:
        process.stop()


def exchange(port: serial.Serial, data: bytes, wait: float = 0.08) -> bytes:
    port.reset_input_buffer()
    port.write(data)
    time.sleep(wait)
    return port.read(port.in_waiting)


def test_identification_and_meters(start: object) -> None:
    assert callable(start)
    sim: SimulatorProcess = start("--machines", "1")
    host = Host.open(sim.port(), [1])
    try:
        host.run_until(lambda: bool(host.of_type(MetersRead)), limit=20)
    finally:
        host.close()
    (ident,) = host.of_type(MachineIdentified)
    assert isinstance(ident, MachineIdentified)
    profile = ident.profile
    assert profile.version is not None
    assert (profile.version.version, profile.version.serial) == ("602", "sim-001")
    assert profile.denomination_cents == 1
    assert profile.features is not None and profile.features.extended_meters
    (meters,) = host.of_type(MetersRead)
    assert isinstance(meters, MetersRead) and meters.method is MeterMethod.EXTENDED
    assert {0x00, 0x01, 0x05, 0x0C, 0x24} <= meters.meters.keys()


def test_exceptions_are_drained_with_implied_acks_and_match_the_ledger(start: object) -> None:
    assert callable(start)
    sim: SimulatorProcess = start("--machines", "1", scenario=BUSY)
    host = Host.open(sim.port(), [1])
    try:
        host.run(15.0)
    finally:
        host.close()
    sim.stop()
    reported = host.of_type(ExceptionReported)
    assert len(reported) >= 5
    report = compare(read_ledger(sim.ledger), upstream_from_json(host.upstream("sim-001")))
    assert report.ok, report.summary()
    assert report.totals.lost == 0 and report.totals.duplicated == 0
    assert report.totals.matched == len(reported)


def test_repeated_poll_gets_the_same_reply_and_a_third_gets_silence(start: object) -> None:
    assert callable(start)
    scenario = '[[incidents]]\nat = 0.0\nmachines = ["all"]\nkind = "door_open"\n'
    sim: SimulatorProcess = start("--machines", "1", "--no-chirp", scenario=scenario)
    time.sleep(0.5)
    with serial.serial_for_url(sim.port(), baudrate=19200, timeout=0) as port:
        assert exchange(port, b"\x81") == b""  # not synchronised yet: ignores its own address
        assert exchange(port, b"\x80") == b""
        first = exchange(port, b"\x81")
        assert first == b"\x11"  # slot door opened
        assert exchange(port, b"\x81") == first  # implied NACK: the same reply again
        assert exchange(port, b"\x81") == b""  # third identical poll: final NACK, data kept
        assert exchange(port, b"\x80") == b""
        assert exchange(port, b"\x81") == first  # still queued
        assert exchange(port, b"\x80") == b""  # this acknowledges it
        assert exchange(port, b"\x81") == b"\x00"


def test_corrupted_crc_is_nacked(start: object) -> None:
    assert callable(start)
    sim: SimulatorProcess = start("--machines", "1", "--no-chirp")
    with serial.serial_for_url(sim.port(), baudrate=19200, timeout=0) as port:
        exchange(port, b"\x80")
        good = requests.enable_play(1).encode().data
        bad = good[:-1] + bytes([good[-1] ^ 0x01])
        assert exchange(port, bad) == b"\x81"
        assert exchange(port, good) == b"\x01"


def test_chirps_its_address_in_loop_break(start: object) -> None:
    assert callable(start)
    sim: SimulatorProcess = start("--machines", "1")
    with serial.serial_for_url(sim.port(), baudrate=19200, timeout=0) as port:
        time.sleep(6.2)
        heard = port.read(port.in_waiting)
    assert heard and set(heard) == {0x01}
    assert len(heard) >= 3


def test_tcp_link_serves_a_host(start: object) -> None:
    assert callable(start)
    sim: SimulatorProcess = start("--machines", "1", "--link", "tcp")
    assert sim.port().startswith("socket://")
    host = Host.open(sim.port(), [1])
    try:
        host.run_until(lambda: bool(host.of_type(MetersRead)), limit=20)
    finally:
        host.close()
    assert host.of_type(MachineIdentified)


def test_multidrop_line_serves_several_addresses(start: object) -> None:
    assert callable(start)
    sim: SimulatorProcess = start("--machines", "3", "--per-line", "3", scenario=BUSY)
    ports = {m["port"] for m in sim.manifest["machines"]}
    assert len(ports) == 1
    assert [m["address"] for m in sim.manifest["machines"]] == [1, 2, 3]
    host = Host.open(sim.port(), [1, 2, 3])
    try:
        host.run_until(lambda: len(host.of_type(MetersRead)) >= 3, limit=30)
        host.run(5.0)
    finally:
        host.close()
    sim.stop()
    upstream = []
    for event in host.of_type(ExceptionReported):
        assert isinstance(event, ExceptionReported)
        upstream.append(
            {"machine": f"sim-00{event.address}", "raw": {"protocol": "sas", "code": event.code}}
        )
    report = compare(read_ledger(sim.ledger), upstream_from_json(upstream))
    assert report.ok, report.summary()


HOSTILE = """
seed = 11
[defaults]
games_per_minute = 20.0
bills_per_hour = 600.0
door_openings_per_hour = 200.0
[faults]
bit_flip = 0.2
drop_byte = 0.15
late_reply = 0.05
garbage = 0.05
[[faults.timed]]
at = 9.0
machines = ["1"]
kind = "silence"
seconds = 6.0
[[faults.timed]]
at = 20.0
machines = ["1"]
kind = "power_cycle"
[[faults.timed]]
at = 27.0
machines = ["1"]
kind = "fifo_overflow"
"""


def test_every_fault_kind_is_observable_and_nothing_acknowledged_is_lost(start: object) -> None:
    assert callable(start)
    sim: SimulatorProcess = start("--machines", "1", scenario=HOSTILE)
    # frequent meter sweeps: many CRC-protected replies for the faults to hit
    config = SessionConfig(offline_after_silence=3.0, meter_interval=2.0)
    host = Host.open(sim.port(), [1], config)
    try:
        host.run(36.0)
    finally:
        host.close()
    sim.stop()
    kinds = {e.kind for e in host.of_type(FaultReceived) if isinstance(e, FaultReceived)}
    assert {"bad_crc", "truncated", "garbage"} <= kinds
    stats = host.session.stats(1)
    assert stats.timeouts > 0  # late replies and the silence
    assert host.of_type(LinkDown)  # the silence
    codes = [e.code for e in host.of_type(ExceptionReported) if isinstance(e, ExceptionReported)]
    assert 0x18 in codes and 0x17 in codes  # the power cycle
    assert 0x70 in codes  # the FIFO overflow
    assert host.of_type(ServiceReply)
    ledger = read_ledger(sim.ledger)
    report = compare(ledger, upstream_from_json(host.upstream("sim-001")))
    assert report.totals.lost == 0, report.summary()
    # SAS's one unavoidable repeat: a report whose acknowledgement the power cut swallowed
    # (reported before the machine lost power, acknowledged only after it came back) is
    # reported again after power-up, and the host cannot tell. Nothing else may repeat.
    entries = ledger.entries("sim-001")
    power_lost = [e.at for e in entries if e.code == 0x18]
    cut_off = {
        e.code
        for e in entries
        if e.acked_at is not None
        and e.acked_at - e.at >= POWER_CYCLE_SECONDS
        and any(e.at < lost_at for lost_at in power_lost)
    }
    (machine,) = report.machines.values()
    assert all(d.code in cut_off for d in machine.duplicated), report.summary()
    assert len(machine.duplicated) <= 1, report.summary()
    assert report.totals.dropped_by_machine > 0  # what the overflow cost, on the machine side


BILLS_ONLY = """
seed = 5
[defaults]
games_per_minute = 0.0
bills_per_hour = 3600.0
door_openings_per_hour = 0.0
handpays_per_hour = 0.0
tickets_per_hour = 0.0
ticket_ins_per_hour = 0.0
player_cards_per_hour = 0.0
tilts_per_hour = 0.0
power_cycles_per_hour = 0.0
"""
BILL_CODES = frozenset({*range(0x47, 0x4F), 0x50})  # "bill accepted", one code a note


def bills_counted(host: Host) -> int:
    done = host.command(requests.read(1, 0x1E))
    assert done.ok and isinstance(done.message, BillCounts), done
    return sum(count for _, count in done.message.counts)


def bills_reported(host: Host) -> int:
    return sum(
        1 for e in host.of_type(ExceptionReported)
        if isinstance(e, ExceptionReported) and e.code in BILL_CODES
    )  # fmt: skip


def test_the_host_switches_the_bill_acceptor_and_the_machine_follows(start: object) -> None:
    """06/07 and 08 over a pty: bills stop, come back, then only the enabled note is taken."""
    assert callable(start)
    sim: SimulatorProcess = start("--machines", "1", scenario=BILLS_ONLY)
    host = Host.open(sim.port(), [1])
    try:
        host.run_until(lambda: bool(host.of_type(MetersRead)), limit=20)
        host.run_until(lambda: bills_reported(host) >= 2, limit=20)  # a bill a second

        assert host.command(requests.bill_acceptor(1, enabled=False)).ok
        before = bills_counted(host)
        reported = bills_reported(host)
        host.run(6.0)
        assert bills_counted(host) == before  # the acceptor takes nothing
        assert bills_reported(host) == reported

        assert host.command(requests.bill_acceptor(1, enabled=True)).ok
        host.run_until(lambda: bills_counted(host) >= before + 2, limit=20)

        assert host.command(requests.configure_bills(1, [20])).ok
        start_at = len(host.events)
        host.run(8.0)
        codes = [
            e.code for e in host.events[start_at:]
            if isinstance(e, ExceptionReported) and e.code in BILL_CODES
        ]  # fmt: skip
        assert codes, "no bill at all in 8 s"
        assert set(codes) == {0x4A}  # $20 only
    finally:
        host.close()
