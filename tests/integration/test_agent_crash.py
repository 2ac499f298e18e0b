"""kill -9 of the agent in the middle of a busy run, then a restart: nothing is lost.

SAS cannot tell whether the machine saw the last acknowledgement before the
crash, so at most one event per machine per crash may be stored twice; the
repeat is flagged ``possible_duplicate``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.config import config_for_demo, dump_toml

from .floor import compare_with_ledger, stored_envelopes

pytestmark = pytest.mark.integration

BUSY = """
seed = 9
[defaults]
games_per_minute = 30.0
bills_per_hour = 600.0
door_openings_per_hour = 240.0
tickets_per_hour = 60.0
player_cards_per_hour = 120.0
"""
MACHINES = 4


def wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < end, f"{path} did not appear"
        time.sleep(0.05)


def start_agent(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_kill_9_and_restart_loses_nothing(tmp_path: Path) -> None:
    scenario = tmp_path / "busy.toml"
    scenario.write_text(BUSY)
    ports_dir = tmp_path / "ports"
    ledger = tmp_path / "ledger.jsonl"
    simulator = subprocess.Popen(
        [
            *[sys.executable, "-m", "simulator", "--machines", str(MACHINES)],
            *["--dir", str(ports_dir), "--ledger", str(ledger)],
            *["--scenario", str(scenario), "--summary-every", "0"],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(ports_dir / "simulator.json", simulator)
        manifest = json.loads((ports_dir / "simulator.json").read_text())
        ports = [(m["port"], [(m["address"], m["id"])]) for m in manifest["machines"]]
        config = config_for_demo(ports, tmp_path / "data")
        config_file = tmp_path / "floor-agent.toml"
        config_file.write_text(dump_toml(config))

        crashes = 2
        for _ in range(crashes):
            agent = start_agent(config_file)
            time.sleep(8.0)
            assert agent.poll() is None, agent.communicate()
            os.kill(agent.pid, signal.SIGKILL)
            agent.wait(timeout=10)
        agent = start_agent(config_file)
        time.sleep(8.0)
        agent.send_signal(signal.SIGTERM)
        output, _ = agent.communicate(timeout=20)
        assert agent.returncode == 0, output
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.communicate(timeout=20)

    store_path = tmp_path / "data" / "events.sqlite"
    report = compare_with_ledger(ledger, store_path)
    assert report.totals.lost == 0, report.summary()
    assert report.totals.out_of_order == 0, report.summary()
    assert report.totals.unexpected == 0, report.summary()
    assert report.totals.matched > 20
    # at most one repeat per machine per crash, and each one is flagged
    assert report.totals.duplicated <= MACHINES * crashes, report.summary()
    flagged = {e["seq"] for e in stored_envelopes(store_path) if e["possible_duplicate"]}
    for machine in report.machines.values():
        for duplicate in machine.duplicated:
            assert duplicate.seq in flagged, f"unflagged repeat {duplicate}"
    assert len(flagged) <= MACHINES * crashes
