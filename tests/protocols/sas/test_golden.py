"""The golden vectors of reference §2.2 (tests/data/sas_golden.json).

Each vector is checked on every layer it touches: the CRC residue, the
request builder that must produce it, the deframer that must cut it (given
the matching expectation) and the decoder that must read the listed fields.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from protocols.sas import requests
from protocols.sas.crc import crc16, crc_ok
from protocols.sas.deframer import Expectation, ExpectGeneralPoll, ExpectLongPoll
from protocols.sas.frames import DataFrame, EventFrame
from protocols.sas.messages import decode_event, decode_reply
from protocols.sas.requests import LongPollRequest

from .independent import hex_bytes, reference_crc, run

GOLDEN_FILE = Path(__file__).parents[2] / "data" / "sas_golden.json"
VECTORS: list[dict[str, Any]] = json.loads(GOLDEN_FILE.read_text())["vectors"]


def _of_kind(*kinds: str) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in VECTORS if v["kind"] in kinds]


def jsonable(value: object) -> object:
    """A message as the golden file writes it: dataclasses as dicts with their type."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, **fields}
    if isinstance(value, tuple | list):
        return [jsonable(item) for item in value]
    if isinstance(value, bytes):
        return value.hex(" ").upper()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _expectation(spec: dict[str, Any]) -> Expectation:
    if spec["type"] == "general_poll":
        return ExpectGeneralPoll(
            address=spec["address"],
            rte=spec.get("rte", False),
            signature=spec.get("signature", False),
        )
    return ExpectLongPoll(address=spec["address"], command=spec["command"])


def _build(spec: dict[str, Any]) -> LongPollRequest:
    address = spec["address"]
    match spec["builder"]:
        case "enable_play":
            return requests.enable_play(address)
        case "set_date_time":
            return requests.set_date_time(address, datetime.fromisoformat(spec["moment"]))
        case "real_time_events":
            return requests.real_time_events(address, enabled=spec["enabled"])
        case "aft_lock_status":
            return requests.aft_lock_status(address)
        case "for_game":
            return requests.for_game(address, spec["command"], spec["game"])
        case "extended_meters":
            return requests.extended_meters(
                address, spec["game"], spec["codes"], alternate=spec["alternate"]
            )
        case "long_poll":
            return LongPollRequest(
                address=address, command=spec["command"], data=hex_bytes(spec["data"])
            )
    raise AssertionError(f"unknown builder {spec['builder']!r} in the golden file")


def test_golden_file_covers_all_eleven_rows_of_reference_2_2() -> None:
    assert sorted({v["row"] for v in VECTORS}) == list(range(1, 12))
    assert len({v["id"] for v in VECTORS}) == len(VECTORS)
    assert all(v["meaning"] for v in VECTORS)


@pytest.mark.parametrize("vector", _of_kind("crc"))
def test_golden_check_value(vector: dict[str, Any]) -> None:
    covered = hex_bytes(vector["covered"])
    assert crc16(covered) == vector["crc"] == reference_crc(covered)
    assert vector["crc"].to_bytes(2, "little") == hex_bytes(vector["wire"])


@pytest.mark.parametrize("vector", _of_kind("event", "reply", "request"))
def test_golden_frame_leaves_a_zero_crc_residue(vector: dict[str, Any]) -> None:
    frame = hex_bytes(vector["bytes"])
    assert crc_ok(frame)
    assert crc16(frame) == 0 == reference_crc(frame)


@pytest.mark.parametrize("vector", _of_kind("request"))
def test_golden_request_is_built_to_the_exact_bytes(vector: dict[str, Any]) -> None:
    request = _build(vector["request"])
    frame = request.encode()
    assert frame.data == hex_bytes(vector["bytes"])
    assert frame.wakeup
    assert request.poll_type.value == vector["poll_type"]


@pytest.mark.parametrize("vector", _of_kind("reply", "event"))
def test_golden_reply_is_deframed_and_decoded_to_the_listed_fields(
    vector: dict[str, Any],
) -> None:
    raw = hex_bytes(vector["bytes"])
    received = run(_expectation(vector["expect"]), [raw])
    assert len(received) == 1, received
    (frame,) = received
    assert isinstance(frame, DataFrame | EventFrame)
    assert frame.raw == raw
    assert jsonable(frame) == {**vector["frame"], "raw": vector["bytes"]}
    message = decode_reply(frame) if isinstance(frame, DataFrame) else decode_event(frame)
    assert jsonable(message) == vector["decoded"]
    for name, value in vector.get("properties", {}).items():
        assert jsonable(getattr(message, name)) == value, name


@pytest.mark.parametrize("vector", _of_kind("reply", "event"))
def test_golden_reply_deframes_the_same_fed_one_byte_at_a_time(vector: dict[str, Any]) -> None:
    raw = hex_bytes(vector["bytes"])
    whole = run(_expectation(vector["expect"]), [raw])
    assert run(_expectation(vector["expect"]), [raw[i : i + 1] for i in range(len(raw))]) == whole
