"""The floor-agent command line and its sas-decode tool."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import main


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("floor-agent ")


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "sas-decode" in capsys.readouterr().out


def test_decodes_a_meter_reply(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sas-decode", "--poll", "01 1A", "01 1A 00 01 66 60 9C F4"]) == 0
    out = capsys.readouterr().out
    assert "LP 1A reply" in out and "value=16660" in out


def test_decodes_an_exception_byte(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sas-decode", "--poll", "81", "51"]) == 0
    assert "exception 0x51: handpay pending" in capsys.readouterr().out


def test_decodes_an_rte_event(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sas-decode", "--rte", "--poll", "81", "01 FF 51 10 E6"]) == 0
    assert "RTE event 0x51" in capsys.readouterr().out


def test_bad_crc_is_reported_with_status_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sas-decode", "--poll", "01 1A", "01 1A 00 01 66 60 9C F5"]) == 1
    assert "fault bad_crc" in capsys.readouterr().out


def test_unknown_long_poll_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sas-decode", "--poll", "01 E7", "01 E7"]) == 2
    assert "no reply shape known" in capsys.readouterr().out


def test_bad_hex_is_rejected_by_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sas-decode", "--poll", "zz", "00"])
    assert exit_info.value.code == 2
    assert "not hex bytes" in capsys.readouterr().err


def test_console_script_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "sas-decode", "--poll", "81", "00"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "no activity" in done.stdout


def test_simulate_runs_a_floor_for_a_while(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "simulate",
            "--machines",
            "2",
            "--dir",
            str(tmp_path),
            "--duration",
            "0.5",
            "--summary-every",
            "0",
            "--ledger",
            str(tmp_path / "ledger.jsonl"),
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "simulating 2 sas machines on 2 pty lines" in out
    assert "stopped: machines 2" in out
    assert not (tmp_path / "simulator.json").exists()  # removed on a clean stop
    assert (tmp_path / "ledger.jsonl").read_text().count('"type":"start"') == 2


def test_simulate_refuses_a_scenario_for_a_bigger_floor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["simulate", "--machines", "2", "--dir", str(tmp_path), "--scenario", "busy_friday"]
    )
    assert status == 2
    assert "error:" in capsys.readouterr().err


def test_ledger_compare_is_mounted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text(
        '{"type":"event","machine":"sim-001","seq":1,"code":17,"event":"door_opened","data":{},"at":1}\n'
        '{"type":"ack","machine":"sim-001","seq":1,"at":2}\n'
    )
    upstream = tmp_path / "upstream.jsonl"
    upstream.write_text("")
    assert main(["ledger", "compare", str(ledger), str(upstream)]) == 1
    assert "lost" in capsys.readouterr().out
