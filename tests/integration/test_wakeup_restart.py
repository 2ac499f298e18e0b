"""Start, stop and start again on a pty with the default ``wakeup = "parity"``.

A pty keeps the termios state a process leaves behind (CMSPAR without
PARENB after a parity open), and a later open that asks for space parity at
once fails with EINVAL. The agent must open any port the same way whatever
the previous process did: after a clean stop (SIGTERM) and after kill -9,
the line comes back online each time.
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

from agent.config import parse_config
from agent.lines.sas.config import SasLine

from .floor import stored_envelopes
from .test_agent_crash import start_agent, wait_for

pytestmark = pytest.mark.integration

CONFIG = """
[agent]
id = "restart"
data_dir = "{data}"

[http]
listen = "127.0.0.1:0"

[[lines]]
name = "bank-a"
port = "{port}"
protocol = "sas"

[[lines.machines]]
address = 1
id = "sim-001"
"""


def online_after(store: Path, seq: int, agent: subprocess.Popen[str], seconds: float) -> int:
    """Wait for an ``online`` event after ``seq``; its seq."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert agent.poll() is None, agent.communicate()
        if store.exists():
            for envelope in stored_envelopes(store):
                if envelope["event"] == "online" and int(str(envelope["seq"])) > seq:
                    return int(str(envelope["seq"]))
        time.sleep(0.2)
    agent.kill()
    output, _ = agent.communicate()
    raise AssertionError(f"the line did not come back online:\n{output}")


def test_the_line_comes_back_online_after_sigterm_and_after_kill_9(tmp_path: Path) -> None:
    ports_dir = tmp_path / "ports"
    simulator = subprocess.Popen(
        [
            *[sys.executable, "-m", "simulator", "--machines", "1", "--dir", str(ports_dir)],
            *["--summary-every", "0"],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    outputs: list[str] = []
    try:
        wait_for(ports_dir / "simulator.json", simulator)
        (machine,) = json.loads((ports_dir / "simulator.json").read_text())["machines"]
        text = CONFIG.format(data=tmp_path / "data", port=machine["port"])
        (line,) = parse_config(text).lines
        assert isinstance(line, SasLine) and line.wakeup == "parity"  # the default on a pty
        config = tmp_path / "floor-agent.toml"
        config.write_text(text)
        store = tmp_path / "data" / "events.sqlite"
        seq = 0
        for stop in (signal.SIGTERM, signal.SIGKILL, signal.SIGTERM):
            agent = start_agent(config)
            seq = online_after(store, seq, agent, 20.0)
            os.kill(agent.pid, stop)
            output, _ = agent.communicate(timeout=20)
            outputs.append(output)
            assert agent.returncode == (0 if stop is signal.SIGTERM else -signal.SIGKILL), output
        agent = start_agent(config)  # and once more after the last clean stop
        online_after(store, seq, agent, 20.0)
        agent.send_signal(signal.SIGTERM)
        outputs.append(agent.communicate(timeout=20)[0])
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.communicate(timeout=20)
    everything = "\n".join(outputs)
    assert "cannot open" not in everything
    assert "wake-up bit" not in everything  # a pty takes the parity setting: no fallback
