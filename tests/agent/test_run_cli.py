"""``floor-agent run`` and ``floor-agent events`` from the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.cli import main
from agent.config import EX_CONFIG
from agent.events.envelope import Channel, Event
from agent.run_cli import parse_since
from agent.store import Store

CONFIG = """
[agent]
id = "floor-9"
data_dir = "{data}"

[[lines]]
name = "bank-a"
port = "/dev/ttyS0"
protocol = "sas"

[[lines.machines]]
address = 1
id = "Slot-A1"

[[lines.machines]]
address = 2
id = "Slot-A2"
"""


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(CONFIG.format(data=tmp_path / "data"))
    return path


def event(machine: str, name: str, at: datetime) -> Event:
    return Event(
        event=name,
        channel=Channel.ENTRIES,
        timestamp=at,
        machine=machine,
        line="bank-a",
        protocol="sas",
        data={"door": "slot"},
        raw={"protocol": "sas", "code": 0x11},
    )


def fill_store(tmp_path: Path) -> None:
    now = datetime.now(UTC)

    async def fill() -> None:
        store = await Store.open(tmp_path / "data" / "events.sqlite", "floor-9")
        await store.append(
            [
                event("Slot-A1", "doorOpened", now - timedelta(hours=2)),
                event("Slot-A2", "doorOpened", now - timedelta(minutes=5)),
                event("Slot-A1", "doorClosed", now - timedelta(minutes=1)),
            ]
        )
        await store.close()

    asyncio.run(fill())


def test_events_prints_the_store_as_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    fill_store(tmp_path)
    assert main(["events", "--config", str(config), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["seq"], e["machine"], e["event"]) for e in lines] == [
        (1, "Slot-A1", "doorOpened"),
        (2, "Slot-A2", "doorOpened"),
        (3, "Slot-A1", "doorClosed"),
    ]
    assert lines[0]["id"] == "floor-9:000000000001"


def test_events_filters_by_machine_and_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    fill_store(tmp_path)
    assert main(["events", "--config", str(config), "--machine", "Slot-A1", "--since", "1h"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert "doorClosed" in out[0] and "Slot-A1" in out[0]


def test_events_without_a_store_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["events", "--config", str(write_config(tmp_path))]) == 1
    assert "no store at" in capsys.readouterr().err


def test_events_rejects_a_bad_since(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--config", str(write_config(tmp_path)), "--since", "yesterday"]) == 2
    assert "--since" in capsys.readouterr().err


def test_parse_since_takes_ages_and_iso_times() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert parse_since("30s", now) == now - timedelta(seconds=30)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("2026-11-22T10:00:00Z", now) == datetime(2026, 11, 22, 10, tzinfo=UTC)


@pytest.mark.parametrize("command", ["run", "events"])
def test_a_bad_config_exits_78(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[agent]\nid = "x"\nbogus = 1\n')
    assert main([command, "--config", str(path)]) == EX_CONFIG
    err = capsys.readouterr().err
    assert str(path) in err and "agent.bogus" in err


def test_gapi_lines_are_refused_as_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gapi.toml"
    path.write_text(
        CONFIG.format(data=tmp_path / "data").replace('protocol = "sas"', 'protocol = "gapi"')
    )
    assert main(["run", "--config", str(path)]) == EX_CONFIG
    assert "GAPI lines are not supported" in capsys.readouterr().err
