"""``systemd/floor-agent.service``: ``systemd-analyze verify`` and ``security`` accept it.

``verify`` checks that ExecStart's program exists, and /opt/floor-agent is not
installed where the tests run: it verifies a copy (same name, in tmp_path)
whose ExecStart runs this venv's ``floor-agent`` (the same entry point) with
the same arguments. Every other line is the file as shipped. ``verify``
exits 0 even for unknown keys, so anything it prints about the unit fails
the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "floor-agent.service"
INSTALLED = "/opt/floor-agent/venv/bin/floor-agent"
MAX_EXPOSURE = 2.0


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is missing (Debian package systemd; scripts/system-deps)")
        pytest.skip("systemd-analyze is missing (apt-get install systemd)")
    return found


def settings(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


def test_unit_has_what_the_issue_asks_for() -> None:
    unit = settings(UNIT.read_text())
    assert unit["Type"] == ["notify"]
    assert unit["NotifyAccess"] == ["main"]
    assert unit["ExecStart"] == [f"{INSTALLED} run --config /etc/floor-agent/agent.toml"]
    assert unit["RestartPreventExitStatus"] == ["78"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["User"] == ["floor-agent"]
    assert unit["SupplementaryGroups"] == ["dialout"]
    assert unit["StateDirectory"] == ["floor-agent"]
    assert unit["ConfigurationDirectory"] == ["floor-agent"]
    assert int(unit["LimitNOFILE"][0]) >= 6 * 512 + 256
    assert "PrivateDevices" not in unit  # would hide the serial ports
    assert unit["DevicePolicy"] == ["closed"]
    assert {"char-ttyS rw", "char-ttyUSB rw", "char-ttyACM rw"} <= set(unit["DeviceAllow"])
    assert set(unit["RestrictAddressFamilies"][0].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}


def test_verify(tmp_path: Path) -> None:
    analyze = systemd_analyze()
    here = Path(sys.executable).parent / "floor-agent"
    assert here.exists(), "the project is not installed in this venv (scripts/bootstrap)"
    copy = tmp_path / UNIT.name
    text = UNIT.read_text()
    assert text.count(f"ExecStart={INSTALLED} ") == 1
    copy.write_text(text.replace(f"ExecStart={INSTALLED} ", f"ExecStart={here} "))
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    about_unit = [line for line in done.stderr.splitlines() if UNIT.name in line]
    assert not about_unit, done.stderr


def test_security_exposure() -> None:
    analyze = systemd_analyze()
    done = subprocess.run(
        [analyze, "security", "--offline=true", "--threshold=20", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert found is not None, done.stdout
    assert float(found.group(1)) <= MAX_EXPOSURE, done.stdout
