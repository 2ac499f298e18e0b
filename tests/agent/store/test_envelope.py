"""The canonical event and its JSON envelope (agent/events/envelope.py).

Kept here with the store tests because the store is what gives an event its
seq and id; move to tests/agent/events/ with the catalogue tests if preferred.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from agent.events.envelope import (
    Channel,
    Event,
    StoredEvent,
    event_id,
    format_time,
    parse_time,
)

from .helpers import T0, event

KEYS = [
    "id",
    "seq",
    "event",
    "channel",
    "timestamp",
    "machine",
    "line",
    "protocol",
    "machine_time",
    "replayed",
    "possible_duplicate",
    "data",
    "meters",
    "raw",
]


def stored(ev: Event, seq: int = 1234) -> StoredEvent:
    return StoredEvent(seq=seq, id=event_id("floor-1", seq), event=ev)


def test_envelope_has_the_architecture_shape() -> None:
    env = stored(event(at=T0)).envelope()
    assert list(env) == KEYS
    assert env["id"] == "floor-1:000000001234"
    assert env["seq"] == 1234
    assert env["event"] == "billAccepted"
    assert env["channel"] == "cash"
    assert env["timestamp"] == "2026-11-22T10:15:03.120Z"
    assert env["machine_time"] is None
    assert env["replayed"] is False
    assert env["possible_duplicate"] is False
    assert env["meters"] == {"coin_in": 123400}
    assert env["raw"] == {"protocol": "sas", "code": 79}
    assert json.loads(json.dumps(env)) == env


def test_envelope_replayed_and_machine_time() -> None:
    ev = Event(
        event="gameEnded",
        channel=Channel.GAME,
        timestamp=T0,
        machine="M",
        line="L",
        protocol="gapi",
        data={},
        raw={"protocol": "gapi"},
        machine_time=datetime(2026, 11, 22, 11, 15, 3, 5999, tzinfo=timezone(timedelta(hours=1))),
        possible_duplicate=True,
    )
    env = stored(ev).envelope(replayed=True)
    assert env["replayed"] is True
    assert env["possible_duplicate"] is True
    assert env["machine_time"] == "2026-11-22T10:15:03.005Z"
    assert env["meters"] is None


def test_times_are_utc_milliseconds() -> None:
    local = datetime(2026, 11, 22, 12, 15, 3, 120999, tzinfo=timezone(timedelta(hours=2)))
    ev = event(at=local)
    assert ev.timestamp == T0
    assert ev.timestamp.tzinfo is UTC
    assert format_time(local) == "2026-11-22T10:15:03.120Z"
    assert parse_time("2026-11-22T10:15:03.120Z") == T0
    assert parse_time("2026-11-22T12:15:03.120+02:00") == T0


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        event(at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="machine_time"):
        Event(
            event="x",
            channel=Channel.SYSTEM,
            timestamp=T0,
            machine="M",
            line="L",
            protocol="sas",
            data={},
            raw={},
            machine_time=datetime(2026, 1, 1),
        )


def test_event_name_required_and_channel_coerced() -> None:
    with pytest.raises(ValueError, match="event name"):
        event(name="")
    ev = Event(
        event="doorOpened",
        channel="entries",  # type: ignore[arg-type]  # a str from config or JSON
        timestamp=T0,
        machine="M",
        line="L",
        protocol="sas",
        data={},
        raw={},
    )
    assert ev.channel is Channel.ENTRIES
    with pytest.raises(ValueError, match="nope"):
        event(channel="nope")  # type: ignore[arg-type]


def test_envelope_round_trip() -> None:
    original = stored(event(7, at=T0))
    again = StoredEvent.from_envelope(json.loads(json.dumps(original.envelope(replayed=True))))
    assert again == original


def test_from_envelope_tolerates_missing_optional_fields() -> None:
    env = stored(event(at=T0)).envelope()
    for key in ("machine_time", "meters", "possible_duplicate", "data", "raw"):
        del env[key]
    again = StoredEvent.from_envelope(env)
    assert again.event.data == {}
    assert again.event.raw == {}
    assert again.event.meters is None
    assert again.event.machine_time is None
    assert again.event.possible_duplicate is False
