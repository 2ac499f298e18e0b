"""Golden vectors of the control and count long polls (tests/data/sas_control_golden.json).

Each request vector is checked on both sides: the host builder must produce
the exact bytes, and the machine side must read them back as the typed
request. Each reply vector must be deframed and decoded to the listed
fields, and the machine side must encode the message to the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from protocols.sas import machine, requests
from protocols.sas.crc import crc_ok
from protocols.sas.deframer import ExpectLongPoll
from protocols.sas.errors import LocalProtocolError
from protocols.sas.frames import DataFrame, Fault, FaultKind
from protocols.sas.machine_requests import (
    ConfigureBills,
    EnableGame,
    Read,
    RequestMessage,
    SetBillAcceptor,
    SetSound,
    decode_request,
)
from protocols.sas.messages import BillCounts, GamesSince, Message, decode_reply
from protocols.sas.requests import LongPollRequest

from .independent import hex_bytes, reference_crc, run
from .test_golden import jsonable

GOLDEN_FILE = Path(__file__).parents[2] / "data" / "sas_control_golden.json"
VECTORS: list[dict[str, Any]] = json.loads(GOLDEN_FILE.read_text())["vectors"]


def _of_kind(kind: str) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in VECTORS if v["kind"] == kind]


def _build(spec: dict[str, Any]) -> tuple[LongPollRequest, RequestMessage]:
    """The builder call of a vector, and the request the machine must read from it."""
    address = spec["address"]
    match spec["builder"]:
        case "sound":
            return requests.sound(address, on=spec["on"]), SetSound(enabled=spec["on"])
        case "bill_acceptor":
            enabled = spec["enabled"]
            return requests.bill_acceptor(address, enabled=enabled), SetBillAcceptor(
                enabled=enabled
            )
        case "configure_bills":
            dollars, stay = spec["dollars"], spec["stay_enabled"]
            return requests.configure_bills(address, dollars, stay_enabled=stay), ConfigureBills(
                dollars=tuple(dollars), stay_enabled=stay
            )
        case "enable_game":
            game, enabled = spec["game"], spec["enabled"]
            return requests.enable_game(address, game, enabled=enabled), EnableGame(
                game=game, enabled=enabled
            )
        case "read":
            return requests.read(address, spec["command"]), Read(command=spec["command"])
    raise AssertionError(f"unknown builder {spec['builder']!r}")


def test_the_file_covers_every_new_long_poll() -> None:
    commands = {hex_bytes(v["bytes"])[1] for v in VECTORS}
    assert commands == {0x03, 0x04, 0x06, 0x07, 0x08, 0x09, 0x18, 0x1E}
    assert len({v["id"] for v in VECTORS}) == len(VECTORS)


@pytest.mark.parametrize("vector", _of_kind("request"))
def test_request_is_built_to_the_exact_bytes_and_read_back_by_the_machine(
    vector: dict[str, Any],
) -> None:
    request, expected = _build(vector["request"])
    raw = hex_bytes(vector["bytes"])
    assert request.encode().data == raw
    if len(raw) > 2:  # type S: the CRC covers the frame
        assert crc_ok(raw) and reference_crc(raw) == 0
    assert decode_request(request) == expected


@pytest.mark.parametrize("vector", _of_kind("reply"))
def test_reply_is_deframed_decoded_and_encoded_back(vector: dict[str, Any]) -> None:
    raw = hex_bytes(vector["bytes"])
    assert reference_crc(raw) == 0
    command = vector["command"]
    (frame,) = run(ExpectLongPoll(address=raw[0], command=command), [raw])
    assert isinstance(frame, DataFrame)
    message = decode_reply(frame)
    assert jsonable(message) == vector["decoded"]
    assert isinstance(message, GamesSince | BillCounts)
    assert machine.data_reply(raw[0], command, message) == raw


def test_bill_action_flag_other_than_00_or_01_is_a_fault_the_machine_nacks() -> None:
    request = LongPollRequest(address=1, command=0x08, data=bytes.fromhex("9500000002"))
    result = decode_request(request)
    assert isinstance(result, Fault) and result.kind is FaultKind.UNEXPECTED
    assert "bill action flag 0x02" in result.reason


def test_reserved_bitmap_bits_are_ignored() -> None:
    request = LongPollRequest(address=1, command=0x08, data=bytes.fromhex("0100008001"))
    assert decode_request(request) == ConfigureBills(dollars=(1,), stay_enabled=True)


def test_game_enable_flag_other_than_00_or_01_is_a_fault() -> None:
    result = decode_request(LongPollRequest(address=1, command=0x09, data=bytes.fromhex("000102")))
    assert isinstance(result, Fault) and result.kind is FaultKind.UNEXPECTED
    assert "game enable flag 0x02" in result.reason


def test_a_bill_lp08_cannot_name_is_our_own_bug() -> None:
    with pytest.raises(LocalProtocolError, match=r"\$3 is not a bill"):
        requests.configure_bills(1, [3])


def test_reply_messages_are_typed_as_messages() -> None:
    counts: Message = BillCounts.of({1: 2, 20: 5, 2: 9})
    assert isinstance(counts, BillCounts)
    assert counts.counts == ((1, 2), (5, 0), (10, 0), (20, 5), (50, 0), (100, 0))
