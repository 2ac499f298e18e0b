"""The protobuf body (agent/events/protobuf.py, agent/events/floor_events_v1.proto).

Round trips over arbitrary events, a golden vector that protoc itself encodes
from text, junk that may only ever raise ``BodyDecodeError``, and a check that
the committed generated module is what the pinned protoc generates.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum, IntEnum, StrEnum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.events import floor_events_v1_pb2 as pb
from agent.events.envelope import Channel, Event, StoredEvent
from agent.events.protobuf import (
    CONTENT_TYPE,
    MAX_DEPTH,
    MESSAGE_TYPE,
    BodyDecodeError,
    BodyEncodeError,
    decode_event,
    encode_event,
)
from protocols.sas.session_types import MachineIdentified

from .helpers import envelope, exception, mapper, meters_read, profile

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"
PROTO = "agent/events/floor_events_v1.proto"
T0 = datetime(2026, 11, 22, 10, 15, 3, 120_000, tzinfo=UTC)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# --- strategies ---------------------------------------------------------------------------

edge_ints = st.sampled_from(
    [0, -1, 1, INT64_MIN, INT64_MAX, INT64_MIN - 1, INT64_MAX + 1, 2**64, -(2**64), 10**30]
)
int64s = st.integers(INT64_MIN, INT64_MAX)
json_scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    int64s,
    edge_ints,
    st.floats(allow_nan=False),
    st.text(),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=24,
)


def depth(value: Any) -> int:
    """How many lists and objects nest in ``value`` (0 for a scalar)."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=6).filter(
    lambda obj: depth(obj) <= MAX_DEPTH + 1  # the object itself is not a Value
)
times = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
    ),
)
meter_values = int64s | edge_ints.filter(lambda n: INT64_MIN <= n <= INT64_MAX)
meters = st.none() | st.dictionaries(st.text(max_size=20), meter_values, max_size=8)


@st.composite
def stored_events(draw: st.DrawFn) -> StoredEvent:
    seq = draw(int64s)
    event = Event(
        event=draw(st.text(min_size=1, max_size=30)),
        channel=draw(st.sampled_from(Channel)),
        timestamp=draw(times),
        machine=draw(st.text(max_size=12)),
        line=draw(st.text(max_size=12)),
        protocol=draw(st.sampled_from(["sas", "gapi"]) | st.text(max_size=6)),
        data=draw(json_objects),
        meters=draw(meters),
        raw=draw(json_objects),
        machine_time=draw(st.none() | times),
        possible_duplicate=draw(st.booleans()),
    )
    return StoredEvent(seq=seq, id=draw(st.text(max_size=24)), event=event)


def strict(value: Any) -> str:
    """A form in which 1, 1.0 and True differ (``==`` says they are equal)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def bill(**changes: Any) -> StoredEvent:
    fields: dict[str, Any] = {
        "event": "billAccepted",
        "channel": Channel.CASH,
        "timestamp": T0,
        "machine": "Slot-A12",
        "line": "bank-a",
        "protocol": "sas",
        "data": {"amount_cents": 2000, "currency": "USD"},
        "meters": {"coin_in_cents": 123400},
        "raw": {"protocol": "sas", "code": 0x4F},
    }
    fields.update(changes)
    return StoredEvent(seq=1234, id="floor-1:000000001234", event=Event(**fields))


# --- round trips --------------------------------------------------------------------------


@given(stored_events(), st.booleans())
def test_decode_of_encode_is_the_envelope(stored: StoredEvent, replayed: bool) -> None:
    decoded = decode_event(encode_event(stored, replayed=replayed))
    envelope = stored.envelope(replayed=replayed)
    assert decoded == envelope
    assert list(decoded) == list(envelope)
    assert strict(decoded) == strict(envelope)


@given(stored_events())
def test_one_event_is_one_body_whatever_the_key_order(stored: StoredEvent) -> None:
    ev = stored.event
    shuffled = replace(
        ev,
        data=dict(reversed(list(ev.data.items()))),
        meters=None if ev.meters is None else dict(reversed(list(ev.meters.items()))),
        raw=dict(reversed(list(ev.raw.items()))),
    )
    again = StoredEvent(seq=stored.seq, id=stored.id, event=shuffled)
    assert encode_event(again) == encode_event(stored)


def test_what_the_sas_mapper_produces_arrives_as_the_json_body_has_it() -> None:
    m = mapper()
    events = m.map(MachineIdentified(address=1, profile=profile(None)))  # nulls, a list, a dict
    events += m.map(meters_read({0x00: 100, 0x05: 3}))
    events += m.map(exception(0x4F))  # billAccepted, with the meters of a cash event
    assert [ev.event for ev in events] == ["machineIdentified", "metersRead", "billAccepted"]
    for seq, ev in enumerate(events, 1):
        stored = StoredEvent(seq=seq, id=f"floor-1:{seq:012d}", event=ev)
        assert decode_event(encode_event(stored)) == envelope(ev, seq)


def test_null_meters_and_empty_meters_stay_apart() -> None:
    assert decode_event(encode_event(bill(meters=None)))["meters"] is None
    assert decode_event(encode_event(bill(meters={})))["meters"] == {}
    assert encode_event(bill(meters=None)) != encode_event(bill(meters={}))


def test_sub_millisecond_and_non_utc_times_arrive_as_the_envelope_has_them() -> None:
    paris = timezone(timedelta(hours=1))
    stored = bill(
        timestamp=datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        machine_time=datetime(2026, 11, 22, 11, 15, 3, 5_999, tzinfo=paris),
    )
    decoded = decode_event(encode_event(stored))
    assert decoded["timestamp"] == "1969-12-31T23:59:59.999Z"
    assert decoded["machine_time"] == "2026-11-22T10:15:03.005Z"


class Door(StrEnum):
    SLOT = "slot"


class Level(IntEnum):
    ONE = 1


class Mode(str, Enum):  # noqa: UP042 - str() gives "Mode.AUTO", json.dumps gives "auto"
    AUTO = "auto"


def test_tuples_come_back_as_lists_and_enum_members_as_their_values() -> None:
    data = {"games": (1, 7), "door": Door.SLOT, "level": Level.ONE, "mode": Mode.AUTO}
    decoded = decode_event(encode_event(bill(data=data)))["data"]
    assert decoded == {"games": [1, 7], "door": "slot", "level": 1, "mode": "auto"}
    assert decoded == json.loads(json.dumps(data))
    assert type(decoded["door"]) is str
    assert type(decoded["level"]) is int


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"data": {"k": {1: "x"}}}, id="nested-int-key"),
        pytest.param({"data": {1: "x"}}, id="top-level-int-key"),
        pytest.param({"data": {"k": {1, 2}}}, id="set"),
        pytest.param({"raw": {"data": b"\x01"}}, id="bytes"),
        pytest.param({"data": {"k": "\udc80"}}, id="lone-surrogate"),
        pytest.param({"meters": {"coin_in_cents": INT64_MAX + 1}}, id="meter-above-int64"),
        pytest.param({"meters": {"coin_in_cents": "12"}}, id="meter-not-int"),
    ],
)
def test_a_value_the_schema_cannot_carry_is_a_body_encode_error(changes: dict[str, Any]) -> None:
    with pytest.raises(BodyEncodeError) as info:
        encode_event(bill(**changes))
    assert info.value.reason


def nested(depth: int) -> Any:
    """Lists and objects in turn, ``depth`` levels: ``[{"a": [...]}]``."""
    value: Any = {}
    for level in range(depth - 1):
        value = [value] if level % 2 else {"a": value, "b": [1, None]}
    return value


def test_values_nest_up_to_max_depth_and_no_deeper() -> None:
    for levels in (MAX_DEPTH, MAX_DEPTH - 1):
        deepest = bill(data={"k": nested(levels)})
        assert decode_event(encode_event(deepest)) == deepest.envelope()
    with pytest.raises(BodyEncodeError, match="nest deeper"):
        encode_event(bill(data={"k": nested(MAX_DEPTH + 1)}))
    with pytest.raises(BodyEncodeError, match="nest deeper"):
        encode_event(bill(raw={"k": {"a": nested(MAX_DEPTH)}}))
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(BodyEncodeError, match="nest deeper"):
        encode_event(bill(data={"loop": loop}))


def _length_delimited(field: int, payload: bytes) -> bytes:
    size, n = bytearray(), len(payload)
    while n >= 0x80:
        size.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes([field << 3 | 2, *size, n]) + payload


def test_a_body_nested_past_the_parser_limit_is_a_body_decode_error() -> None:
    value = b"\x08\x00"  # Value{null_value: NULL_VALUE}
    for _ in range(200):  # Value{list_value: ListValue{values: [value]}}
        value = _length_delimited(6, _length_delimited(1, value))
    entry = _length_delimited(1, b"k") + _length_delimited(2, value)
    body = _body() + _length_delimited(12, entry)
    with pytest.raises(BodyDecodeError):
        decode_event(body)


def test_a_seq_outside_int64_is_a_body_encode_error() -> None:
    stored = bill()
    with pytest.raises(BodyEncodeError):
        encode_event(StoredEvent(seq=2**63, id=stored.id, event=stored.event))


# --- junk ---------------------------------------------------------------------------------


def _body(**fields: Any) -> bytes:
    base: dict[str, Any] = {
        "id": "floor-1:1",
        "seq": 1,
        "event": "billAccepted",
        "channel": pb.CHANNEL_CASH,
        "timestamp": {"seconds": 1_795_342_503, "nanos": 120_000_000},
    }
    base.update(fields)
    return pb.Event(**base).SerializeToString()


def test_the_minimal_body_decodes() -> None:
    decoded = decode_event(_body())
    assert decoded["data"] == {}
    assert decoded["raw"] == {}
    assert decoded["meters"] is None
    assert decoded["machine_time"] is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff", id="bad-tag"),
        pytest.param(b"\x0a\x05ab", id="truncated-string"),
        pytest.param(b"\x0a\x01\xff", id="invalid-utf8"),
        pytest.param(b"not protobuf at all", id="text"),
        pytest.param(b'{"id": "floor-1:1", "seq": 1}', id="json-body"),
        pytest.param(_body(timestamp=None), id="no-timestamp"),
        pytest.param(_body(event=""), id="no-event-name"),
        pytest.param(_body(channel=pb.CHANNEL_UNSPECIFIED), id="channel-unspecified"),
        pytest.param(_body(channel=9), id="channel-unknown"),
        pytest.param(_body(timestamp={"seconds": 2**40}), id="timestamp-after-9999"),
        pytest.param(_body(machine_time={"nanos": -1}), id="negative-nanos"),
        pytest.param(_body(data={"k": pb.Value()}), id="value-without-kind"),
        pytest.param(_body(raw={"k": pb.Value(big_int_value="12a")}), id="big-int-not-digits"),
        pytest.param(_body(raw={"k": pb.Value(big_int_value="9" * 5000)}), id="big-int-too-long"),
        pytest.param(
            _body(data={"k": pb.Value(list_value={"values": [pb.Value()]})}), id="nested-no-kind"
        ),
    ],
)
def test_junk_is_a_body_decode_error(body: bytes) -> None:
    with pytest.raises(BodyDecodeError) as info:
        decode_event(body)
    assert isinstance(info.value, ValueError)
    assert info.value.reason


def _decodes_or_refuses(body: bytes) -> None:
    try:
        decoded = decode_event(body)
    except BodyDecodeError:
        return
    assert set(decoded) >= {"id", "seq", "timestamp", "data", "meters", "raw"}


@given(st.binary(max_size=256))
def test_random_bytes_decode_or_raise_body_decode_error_only(body: bytes) -> None:
    _decodes_or_refuses(body)


def golden_bytes() -> bytes:
    return bytes.fromhex((DATA / "floor_event_v1.hex").read_text(encoding="ascii"))


def test_every_strict_prefix_of_a_body_decodes_or_raises_body_decode_error_only() -> None:
    body = golden_bytes()
    for end in range(len(body)):
        _decodes_or_refuses(body[:end])


@given(st.data())
def test_bit_flips_decode_or_raise_body_decode_error_only(data: st.DataObject) -> None:
    body = bytearray(golden_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        bit = data.draw(st.integers(0, len(body) * 8 - 1))
        body[bit // 8] ^= 1 << (bit % 8)
    _decodes_or_refuses(bytes(body))


def test_a_field_this_reader_does_not_know_is_ignored() -> None:
    newer = golden_bytes() + b"\xf8\x06\x2a"  # field 111, varint 42: a later v1 addition
    assert decode_event(newer) == decode_event(golden_bytes())


# --- the golden vector and the generated module --------------------------------------------


def _protoc(*args: str, stdin: bytes = b"") -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I.", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def golden_envelope() -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads((DATA / "floor_event_v1.json").read_text("utf-8"))
    return envelope


def test_protoc_encodes_the_text_fixture_to_the_pinned_bytes() -> None:
    text = (DATA / "floor_event_v1.textproto").read_bytes()
    encoded = _protoc(f"--encode={MESSAGE_TYPE}", "--deterministic_output", PROTO, stdin=text)
    assert encoded == golden_bytes()


def test_encode_event_gives_the_golden_bytes() -> None:
    envelope = golden_envelope()
    stored = StoredEvent.from_envelope(envelope)
    assert encode_event(stored, replayed=envelope["replayed"]) == golden_bytes()


def test_decode_event_of_the_golden_bytes_is_the_golden_envelope() -> None:
    decoded = decode_event(golden_bytes())
    assert decoded == golden_envelope()
    assert strict(decoded) == strict(golden_envelope())


def test_the_committed_module_is_what_the_pinned_protoc_generates(tmp_path: Path) -> None:
    _protoc(f"--python_out={tmp_path}", f"--pyi_out={tmp_path}", PROTO)
    for suffix in ("_pb2.py", "_pb2.pyi"):
        name = PROTO.removesuffix(".proto") + suffix
        assert (tmp_path / name).read_bytes() == (ROOT / name).read_bytes(), (
            f"{name} is stale: run scripts/gen-proto"
        )


def test_names_match_the_schema() -> None:
    assert pb.Event.DESCRIPTOR.full_name == MESSAGE_TYPE
    assert CONTENT_TYPE == "application/x-protobuf"
    for channel in Channel:
        number = pb.Channel.Value(f"CHANNEL_{channel.name}")
        body = _body(channel=number)
        assert decode_event(body)["channel"] == channel.value
