"""Machine side of the SAS codec: host-frame parser, typed requests, replies."""

from __future__ import annotations

import ast
import itertools
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.sas import machine, machine_requests, requests
from protocols.sas.commands import VARIABLE_REQUESTS, request_length
from protocols.sas.crc import with_crc
from protocols.sas.deframer import ExpectGeneralPoll, ExpectLongPoll, ReplyDeframer
from protocols.sas.errors import LocalProtocolError
from protocols.sas.frames import DataFrame, EventFrame, Fault, FaultKind, PollFrame
from protocols.sas.machine import (
    GeneralPollReceived,
    HostFrameParser,
    LongPollReceived,
    Parsed,
    marked,
)
from protocols.sas.machine_requests import (
    GAME_POLLS,
    AftInterrogate,
    AftLockOrStatus,
    DisablePlay,
    EnablePlay,
    RawRequest,
    Read,
    ReadExtendedMeters,
    ReadGame,
    ReadSelectedMeters,
    ReadValidationInfo,
    RequestMessage,
    ResetHandpay,
    SetDateTime,
    SetHandpayResetMethod,
    SetRealTimeEvents,
    StartRomSignature,
    decode_request,
)
from protocols.sas.messages import RteEvent, SingleMeter, decode_event, decode_reply
from protocols.sas.messages.clock import RomSignature
from protocols.sas.messages.events import GameEnded
from protocols.sas.requests import LongPollRequest

GAP = machine.DEFAULT_GAP
T = TypeVar("T")

# --- strategies: every host builder in requests.py, with the typed message expected ----------

addresses = st.integers(1, 0x7F)
games = st.integers(0, 9999)
moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)
type_r_commands = st.integers(0, 0xFF).filter(
    lambda c: c not in VARIABLE_REQUESTS and request_length(c) == 2
)

Case = tuple[LongPollRequest, RequestMessage]


def _cases() -> st.SearchStrategy[Case]:
    return st.one_of(
        st.builds(lambda a, c: (requests.read(a, c), Read(command=c)), addresses, type_r_commands),
        addresses.map(lambda a: (requests.enable_play(a), EnablePlay())),
        addresses.map(lambda a: (requests.disable_play(a), DisablePlay())),
        st.builds(
            lambda a, on: (
                requests.real_time_events(a, enabled=on),
                SetRealTimeEvents(enabled=on),
            ),
            addresses,
            st.booleans(),
        ),
        st.builds(
            lambda a, s: (requests.rom_signature(a, s), StartRomSignature(seed=s)),
            addresses,
            st.integers(0, 0xFFFF),
        ),
        st.builds(
            lambda a, g, codes: (
                requests.selected_meters(a, g, codes),
                ReadSelectedMeters(game=g, codes=tuple(codes)),
            ),
            addresses,
            games,
            st.lists(st.integers(0, 0xFF), min_size=1, max_size=10),
        ),
        st.builds(
            lambda a, g, codes, alt: (
                requests.extended_meters(a, g, codes, alternate=alt),
                ReadExtendedMeters(command=0xAF if alt else 0x6F, game=g, codes=tuple(codes)),
            ),
            addresses,
            games,
            st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=12),
            st.booleans(),
        ),
        st.builds(
            lambda a, c, g: (requests.for_game(a, c, g), ReadGame(command=c, game=g)),
            addresses,
            st.sampled_from(sorted(GAME_POLLS)),
            games,
        ),
        st.builds(
            lambda a, m: (requests.set_date_time(a, m), SetDateTime(moment=m)),
            st.integers(0, 0x7F),
            moments,
        ),
        addresses.map(lambda a: (requests.handpay_reset(a), ResetHandpay())),
        st.builds(
            lambda a, credit: (
                requests.handpay_reset_method(a, to_credit_meter=credit),
                SetHandpayResetMethod(to_credit_meter=credit),
            ),
            addresses,
            st.booleans(),
        ),
        st.builds(
            lambda a, f: (requests.validation_info(a, f), ReadValidationInfo(function=f)),
            addresses,
            st.one_of(st.integers(0, 0x1F), st.just(0xFF)),
        ),
        st.builds(
            lambda a, lock, cond, t: (
                requests.aft_lock_status(a, lock, cond, t),
                AftLockOrStatus(lock_code=lock, conditions=cond, timeout_cs=t),
            ),
            addresses,
            st.sampled_from([0x00, 0x80, 0xFF]),
            st.integers(0, 0xFF),
            st.integers(0, 9999),
        ),
        st.builds(
            lambda a, i, status: (
                requests.aft_interrogate(a, i, status_only=status),
                AftInterrogate(index=i, status_only=status),
            ),
            addresses,
            st.integers(0, 0xFF),
            st.booleans(),
        ),
    )


cases = _cases()
general_polls = st.integers(0, 0x7F).map(requests.general_poll)


def _item(poll: PollFrame | Case) -> tuple[PollFrame, Parsed]:
    """A host frame and what the parser must make of it."""
    if isinstance(poll, PollFrame):
        return poll, GeneralPollReceived(address=poll.address)
    request = poll[0]
    frame = request.encode()
    return frame, LongPollReceived(request=request, raw=frame.data)


frames_and_outputs = st.one_of(general_polls, cases).map(_item)


def content(parser: HostFrameParser, chunks: Sequence[bytes], now: float = 0.0) -> list[Parsed]:
    out: list[Parsed] = []
    for chunk in chunks:
        out += parser.receive_data(chunk, now)
    return out


def split(data: Sequence[T], cuts: Sequence[int]) -> list[list[T]]:
    """``data`` cut at the given points (taken modulo its length)."""
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [list(data[a:b]) for a, b in itertools.pairwise(points)]


def raw_of(item: Parsed) -> bytes:
    return item.raw


# --- every builder, both framing modes ------------------------------------------------


@given(cases)
def test_every_request_round_trips_without_wakeup_bit(case: Case) -> None:
    request, message = case
    frame = request.encode()
    [received] = HostFrameParser().receive_data(frame.data, 1.0)
    assert received == LongPollReceived(request=request, raw=frame.data)
    assert received.address == request.address
    assert received.command == request.command
    assert decode_request(received.request) == message


@given(cases)
def test_every_request_round_trips_with_wakeup_bit(case: Case) -> None:
    request, message = case
    frame = request.encode()
    [received] = HostFrameParser().receive_marked(marked(frame), 1.0)
    assert received == LongPollReceived(request=request, raw=frame.data)
    assert isinstance(received, LongPollReceived)
    assert decode_request(received.request) == message


@given(st.integers(0, 0x7F), st.booleans())
def test_general_poll_both_modes(address: int, wakeup_mode: bool) -> None:
    frame = requests.general_poll(address)
    parser = HostFrameParser()
    out = (
        parser.receive_marked(marked(frame), 0.0)
        if wakeup_mode
        else parser.receive_data(frame.data, 0.0)
    )
    assert out == [GeneralPollReceived(address=address)]
    assert out[0].raw == frame.data
    assert parser.deadline is None


# --- golden bytes (reference §2.2) -----------------------------------------------------

GOLDEN: list[tuple[str, LongPollRequest, RequestMessage]] = [
    ("01 02 CA 3A", LongPollRequest(address=1, command=0x02), EnablePlay()),
    (
        "01 7F 11 27 20 25 19 21 16 D9 10",
        LongPollRequest(address=1, command=0x7F, data=bytes.fromhex("11272025192116")),
        SetDateTime(moment=datetime(2025, 11, 27, 19, 21, 16)),
    ),
    (
        "01 0E 00 CC C0",
        LongPollRequest(address=1, command=0x0E, data=b"\x00"),
        SetRealTimeEvents(enabled=False),
    ),
    (
        "01 74 FF 00 00 00 1A F9",
        LongPollRequest(address=1, command=0x74, data=bytes.fromhex("FF000000")),
        AftLockOrStatus(lock_code=0xFF, conditions=0, timeout_cs=0),
    ),
    (
        "01 A0 00 00 6C 13",
        LongPollRequest(address=1, command=0xA0, data=b"\x00\x00"),
        ReadGame(command=0xA0, game=0),
    ),
    (
        "01 AF 04 00 00 0C 00 2E A6",
        LongPollRequest(address=1, command=0xAF, data=bytes.fromhex("00000C00")),
        ReadExtendedMeters(command=0xAF, game=0, codes=(0x0C,)),
    ),
    (
        "01 71 01 FF 1F D0",
        LongPollRequest(address=1, command=0x71, data=b"\xff"),
        RawRequest(command=0x71, data=b"\xff"),
    ),
    (
        "01 72 01 80 0B B4",
        LongPollRequest(address=1, command=0x72, data=b"\x80"),
        RawRequest(command=0x72, data=b"\x80"),
    ),
]


@pytest.mark.parametrize(("wire", "request_", "message"), GOLDEN)
@pytest.mark.parametrize("wakeup_mode", [False, True])
def test_golden_frames(
    wire: str, request_: LongPollRequest, message: RequestMessage, wakeup_mode: bool
) -> None:
    raw = bytes.fromhex(wire)
    parser = HostFrameParser()
    if wakeup_mode:
        out = parser.receive_marked(marked(PollFrame(data=raw)), 0.0)
    else:
        out = parser.receive_data(raw, 0.0)
    assert out == [LongPollReceived(request=request_, raw=raw)]
    assert request_.encode().data == raw
    assert decode_request(request_) == message
    assert parser.deadline is None


def test_golden_rom_signature_and_broadcast_clock() -> None:
    moment = datetime(2025, 11, 27, 19, 21, 16)
    broadcast = requests.set_date_time(0, moment).encode().data
    seed = requests.rom_signature(3, 0x1234).encode().data
    assert seed[:4] == bytes.fromhex("03 21 34 12")
    out = HostFrameParser().receive_data(broadcast + seed, 0.0)
    assert [decode_request(o.request) for o in out if isinstance(o, LongPollReceived)] == [
        SetDateTime(moment=moment),
        StartRomSignature(seed=0x1234),
    ]
    assert [o.address for o in out if isinstance(o, LongPollReceived)] == [0, 3]


# --- chunking, prefixes, timing ---------------------------------------------------------


@given(st.lists(frames_and_outputs, max_size=8), st.lists(st.integers(0, 400), max_size=12))
def test_any_chunking_gives_the_same_frames(
    items: list[tuple[PollFrame, Parsed]], cuts: list[int]
) -> None:
    stream = b"".join(frame.data for frame, _ in items)
    expected = [output for _, output in items]
    chunks = [bytes(chunk) for chunk in split(list(stream), cuts)]
    parser = HostFrameParser()
    assert content(parser, chunks) == expected
    assert parser.deadline is None

    pairs = [pair for frame, _ in items for pair in marked(frame)]
    marked_parser = HostFrameParser()
    out: list[Parsed] = []
    for chunk in split(pairs, cuts):
        out += marked_parser.receive_marked(chunk, 0.0)
    assert out == expected


@given(
    st.lists(frames_and_outputs, max_size=6),
    st.lists(st.integers(0, 400), max_size=12),
    st.floats(0, GAP * 0.99),
)
def test_frames_spread_in_time_within_the_gap(
    items: list[tuple[PollFrame, Parsed]], cuts: list[int], step: float
) -> None:
    parser = HostFrameParser()
    out: list[Parsed] = []
    now = 10.0
    for frame, _ in items:
        now += 1.0  # a long pause between frames
        out += parser.tick(now)
        for chunk in split(list(frame.data), cuts):
            out += parser.receive_data(bytes(chunk), now)
            now += step
    assert out == [output for _, output in items]


@given(cases, st.booleans())
def test_every_strict_prefix_is_incomplete(case: Case, wakeup_mode: bool) -> None:
    frame = case[0].encode()
    for size in range(1, len(frame.data)):
        parser = HostFrameParser()
        prefix = PollFrame(data=frame.data[:size])
        if wakeup_mode:
            assert parser.receive_marked(marked(prefix), 5.0) == []
        else:
            assert parser.receive_data(prefix.data, 5.0) == []
        assert parser.in_progress
        assert parser.deadline == 5.0 + GAP
        assert parser.tick(5.0 + GAP / 2) == []
        [fault] = parser.tick(5.0 + GAP)
        assert isinstance(fault, Fault)
        assert fault.kind is FaultKind.TRUNCATED
        assert fault.raw == prefix.data
        assert fault.address == frame.data[0]
        after: tuple[float | None, bool] = (parser.deadline, parser.in_progress)
        assert after == (None, False)


@given(cases, cases, st.data())
def test_gap_inside_a_frame_truncates_and_the_next_frame_parses(
    first: Case, second: Case, data: st.DataObject
) -> None:
    raw = first[0].encode().data
    cut = data.draw(st.integers(1, len(raw) - 1))
    late = data.draw(st.floats(GAP, 1.0))
    parser = HostFrameParser()
    assert parser.receive_data(raw[:cut], 0.0) == []
    out = parser.receive_data(raw[cut:], late)
    assert out[0] == Fault(
        kind=FaultKind.TRUNCATED,
        reason=f"line quiet for {GAP * 1000:g} ms after {cut} bytes",
        raw=raw[:cut],
        address=raw[0],
    )
    # Whatever the tail framed as, a frame after another pause parses.
    out += parser.tick(late + 1.0)
    following = second[0].encode().data
    assert parser.receive_data(following, late + 2.0) == [
        LongPollReceived(request=second[0], raw=following)
    ]
    assert b"".join(map(raw_of, out)) == raw


# --- garbage and bit flips ---------------------------------------------------------------


@given(
    st.lists(st.tuples(st.binary(max_size=40), st.floats(0, 0.02)), max_size=10),
)
def test_garbage_without_wakeup_bit_never_raises_and_keeps_every_byte(
    chunks: list[tuple[bytes, float]],
) -> None:
    parser = HostFrameParser()
    out: list[Parsed] = []
    now = 0.0
    for chunk, delay in chunks:
        now += delay
        out += parser.receive_data(chunk, now)
    out += parser.tick(math.inf)
    assert parser.deadline is None
    assert b"".join(map(raw_of, out)) == b"".join(chunk for chunk, _ in chunks)
    for item in out:
        if isinstance(item, LongPollReceived):
            assert item.request.encode().data == item.raw


@given(
    st.lists(
        st.tuples(st.lists(st.tuples(st.integers(0, 0xFF), st.booleans())), st.floats(0, 0.02)),
        max_size=10,
    )
)
def test_garbage_with_wakeup_bit_never_raises_and_keeps_every_byte(
    chunks: list[tuple[list[tuple[int, bool]], float]],
) -> None:
    parser = HostFrameParser()
    out: list[Parsed] = []
    now = 0.0
    for chunk, delay in chunks:
        now += delay
        out += parser.receive_marked(chunk, now)
    out += parser.tick(math.inf)
    assert b"".join(map(raw_of, out)) == bytes(b for chunk, _ in chunks for b, _ in chunk)
    for item in out:
        if isinstance(item, Fault) and item.kind is FaultKind.GARBAGE:
            assert item.address is None


@given(cases, cases, st.data())
def test_bit_flips_give_values_and_the_next_frame_parses(
    flipped: Case, following: Case, data: st.DataObject
) -> None:
    raw = bytearray(flipped[0].encode().data)
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] ^= 1 << data.draw(st.integers(0, 7))
    wakeup_mode = data.draw(st.booleans())
    parser = HostFrameParser()
    frame = PollFrame(data=bytes(raw))
    if wakeup_mode:
        out = parser.receive_marked(marked(frame), 0.0)
    else:
        out = parser.receive_data(frame.data, 0.0)
    out += parser.tick(1.0)
    assert b"".join(map(raw_of, out)) == frame.data
    if request_length(flipped[0].command) not in (None, 2) and position >= 2:
        assert [o.kind for o in out if isinstance(o, Fault)] == [FaultKind.BAD_CRC]
    nxt = following[0].encode()
    got = (
        parser.receive_marked(marked(nxt), 2.0)
        if wakeup_mode
        else parser.receive_data(nxt.data, 2.0)
    )
    assert got == [LongPollReceived(request=following[0], raw=nxt.data)]


def test_bad_crc_is_reported_with_its_address() -> None:
    raw = bytes.fromhex("01 0E 00 CC C1")
    [fault] = HostFrameParser().receive_data(raw, 0.0)
    assert fault == Fault(kind=FaultKind.BAD_CRC, reason="CRC mismatch", raw=raw, address=1)
    assert machine.fault_reply(fault, 1) == b"\x81"
    assert machine.fault_reply(fault, 2) is None


def test_type_r_poll_to_address_zero_is_unexpected() -> None:
    out = HostFrameParser().receive_data(b"\x00\x1a\x81", 0.0)
    assert out == [
        Fault(
            kind=FaultKind.UNEXPECTED,
            reason="type R poll 1A to address 0",
            raw=b"\x00\x1a",
            address=0,
        ),
        GeneralPollReceived(address=1),
    ]
    with pytest.raises(LocalProtocolError, match="cannot be broadcast"):
        LongPollRequest(address=0, command=0x1A)


# --- wake-up mode specifics ----------------------------------------------------------------


def test_wakeup_byte_abandons_a_message_in_progress() -> None:
    partial = marked(PollFrame(data=bytes.fromhex("01 7F 11 27")))
    poll = requests.enable_play(1).encode()
    out = HostFrameParser().receive_marked(partial + marked(poll), 0.0)
    assert out == [
        Fault(
            kind=FaultKind.TRUNCATED,
            reason="abandoned: a new message started after 4 bytes",
            raw=bytes.fromhex("01 7F 11 27"),
            address=1,
        ),
        LongPollReceived(request=requests.enable_play(1), raw=poll.data),
    ]


def test_unmarked_bytes_outside_a_message_are_garbage() -> None:
    parser = HostFrameParser()
    # An unknown vendor poll C5 with data frames as type R, then its data is junk.
    chars = [(0x01, True), (0xC5, False), (0x10, False), (0x20, False)]
    out = parser.receive_marked(chars, 0.0)
    assert out == [LongPollReceived(request=requests.read(1, 0xC5), raw=b"\x01\xc5")]
    assert parser.deadline == GAP
    assert not parser.in_progress
    out = parser.receive_marked([(0x30, False), (0x81, True)], 0.001)
    assert out == [
        Fault(
            kind=FaultKind.GARBAGE, reason="unmarked bytes outside a message", raw=b"\x10\x20\x30"
        ),
        GeneralPollReceived(address=1),
    ]
    parser.receive_marked([(0x99, False)], 0.002)
    [junk] = parser.tick(0.002 + GAP)
    assert isinstance(junk, Fault)
    assert junk.raw == b"\x99"


def test_frame_without_wakeup_flag_is_junk_in_wakeup_mode() -> None:
    frame = PollFrame(data=requests.enable_play(1).encode().data, wakeup=False)
    assert all(not flag for _, flag in marked(frame))
    parser = HostFrameParser()
    assert parser.receive_marked(marked(frame), 0.0) == []
    [junk] = parser.tick(1.0)
    assert isinstance(junk, Fault)
    assert junk.kind is FaultKind.GARBAGE


def test_infinite_gap_waits_for_the_next_wakeup_byte() -> None:
    parser = HostFrameParser(gap=math.inf)
    assert parser.gap == math.inf
    assert parser.receive_marked([(0x01, True), (0x7F, False)], 0.0) == []
    assert parser.deadline is None
    assert parser.tick(1e9) == []
    late = parser.receive_marked(marked(requests.enable_play(1).encode()), 1e9)
    assert [type(x) for x in late] == [Fault, LongPollReceived]


def test_empty_input_does_not_refresh_the_clock() -> None:
    parser = HostFrameParser()
    assert parser.receive_data(b"\x01", 0.0) == []
    assert parser.receive_data(b"", 0.004) == []
    assert parser.receive_marked([], 0.004) == []
    assert parser.deadline == GAP
    [fault] = parser.receive_data(b"", GAP)
    assert isinstance(fault, Fault)
    assert fault.kind is FaultKind.TRUNCATED


def test_parser_misuse_raises() -> None:
    with pytest.raises(LocalProtocolError):
        HostFrameParser(gap=-1.0)
    with pytest.raises(LocalProtocolError):
        HostFrameParser(gap=math.nan)
    with pytest.raises(LocalProtocolError):
        HostFrameParser().receive_marked([(0x100, True)], 0.0)


# --- typed requests: invalid data is a fault (NACK), unknown is raw -------------------------


def _fault(command: int, data: bytes, address: int = 1) -> Fault:
    result = decode_request(LongPollRequest(address=address, command=command, data=data))
    assert isinstance(result, Fault)
    assert result.kind is FaultKind.UNEXPECTED
    assert result.address == address
    assert result.raw == LongPollRequest(address=address, command=command, data=data).encode().data
    return result


@pytest.mark.parametrize(
    ("command", "data", "why"),
    [
        (0x0E, b"\x02", "real-time events flag 0x02"),
        (0xA8, b"\x05", "reset method 0x05"),
        (0x4D, b"\x20", "validation function 0x20"),
        (0x4D, b"\xfe", "validation function 0xFE"),
        (0x74, bytes.fromhex("01 00 00 00"), "AFT lock code 0x01"),
        (0x74, bytes.fromhex("00 00 0A 00"), "not BCD"),
        (0x7F, bytes.fromhex("13 01 20 25 10 00 00"), "invalid date"),
        (0x7F, bytes.fromhex("01 01 20 25 24 00 00"), "invalid date"),
        (0x2F, bytes.fromhex("0A 00 0C"), "not BCD"),
        (0x2F, bytes.fromhex("00 00"), "0 meter codes"),
        (0x2F, bytes(2) + bytes(range(11)), "11 meter codes"),
        (0x6F, bytes.fromhex("00 00 0C"), "not a multiple of 2"),
        (0xAF, bytes(2) + bytes(26), "13 meter codes"),
        (0x6F, b"\x00", "need 2 bytes"),
        (0xA0, bytes.fromhex("00 AA"), "not BCD"),
    ],
)
def test_invalid_request_data_is_a_fault(command: int, data: bytes, why: str) -> None:
    assert why in _fault(command, data).reason


def test_broadcast_fault_keeps_address_zero() -> None:
    fault = _fault(0x7F, bytes.fromhex("00 00 20 25 00 00 00"), address=0)
    assert machine.fault_reply(fault, 1) is None


@pytest.mark.parametrize(
    ("command", "data", "message"),
    [
        (0x72, b"\xff", RawRequest(command=0x72, data=b"\xff")),
        (0x72, b"\x10\x00", RawRequest(command=0x72, data=b"\x10\x00")),
        (0x72, b"\xff\x00\x00", RawRequest(command=0x72, data=b"\xff\x00\x00")),
        (0x72, b"\xfe\x81", AftInterrogate(index=0x81, status_only=True)),
        (0x73, b"\xff", RawRequest(command=0x73, data=b"\xff")),
        (0x2E, bytes.fromhex("00 05"), RawRequest(command=0x2E, data=bytes.fromhex("0005"))),
        (0xC5, b"", Read(command=0xC5)),
        (0x1A, b"", Read(command=0x1A)),
    ],
)
def test_other_requests_are_raw_or_read(command: int, data: bytes, message: RequestMessage) -> None:
    assert decode_request(LongPollRequest(address=1, command=command, data=data)) == message


def test_extended_meters_alternate_flag() -> None:
    plain = decode_request(requests.extended_meters(1, 0, [0x0C]))
    alt = decode_request(requests.extended_meters(1, 0, [0x0C], alternate=True))
    assert isinstance(plain, ReadExtendedMeters)
    assert isinstance(alt, ReadExtendedMeters)
    assert (plain.alternate, alt.alternate) == (False, True)


@given(st.integers(0, 0xFF), st.binary(max_size=30), st.integers(0, 0x7F))
def test_decode_request_never_raises(command: int, data: bytes, address: int) -> None:
    try:
        request = LongPollRequest(address=address, command=command, data=data)
    except LocalProtocolError:
        return
    result = decode_request(request)
    if isinstance(result, Fault):
        assert result.kind is FaultKind.UNEXPECTED


# --- replies -------------------------------------------------------------------------------


def test_single_byte_replies() -> None:
    assert machine.ack_reply(1) == b"\x01"
    assert machine.nack_reply(1) == b"\x81"
    assert machine.busy_reply(0x7F) == b"\x7f\x00"
    assert machine.exception_reply(0x51) == b"\x51"
    for bad in (0, 0x80, -1):
        with pytest.raises(LocalProtocolError):
            machine.ack_reply(bad)
    with pytest.raises(LocalProtocolError):
        machine.exception_reply(0x100)


def test_data_reply_golden_and_read_back_by_the_host() -> None:
    wire = machine.data_reply(1, 0x1A, SingleMeter(command=0x1A, value=16660))
    assert wire == bytes.fromhex("01 1A 00 01 66 60 9C F4")
    deframer = ReplyDeframer()
    deframer.expect(ExpectLongPoll(address=1, command=0x1A))
    [frame] = deframer.receive_data(wire)
    assert isinstance(frame, DataFrame)
    assert decode_reply(frame) == SingleMeter(command=0x1A, value=16660)


@pytest.mark.parametrize(
    ("rte", "wire"),
    [
        (RteEvent(code=0x51, data=None), "01 FF 51 10 E6"),
        (RteEvent(code=0x00, data=None), "01 FF 00 1C A5"),
        (RteEvent(code=0x7F, data=GameEnded(win=250), raw_data=bytes.fromhex("00000250")), None),
    ],
)
def test_event_frames(rte: RteEvent, wire: str | None) -> None:
    raw = machine.event_reply(1, rte)
    if wire is not None:
        assert raw == bytes.fromhex(wire)
    deframer = ReplyDeframer()
    deframer.expect(ExpectGeneralPoll(address=1, rte=True))
    [frame] = deframer.receive_data(raw)
    assert isinstance(frame, EventFrame)
    assert decode_event(frame) == rte


@given(addresses, st.integers(0, 0xFFFF))
def test_rom_signature_reply_reads_back(address: int, signature: int) -> None:
    raw = machine.rom_signature_reply(address, signature)
    assert raw == with_crc(bytes([address, 0x21]) + signature.to_bytes(2, "little"))
    deframer = ReplyDeframer()
    deframer.expect(ExpectGeneralPoll(address=address, signature=True))
    [frame] = deframer.receive_data(raw)
    assert isinstance(frame, DataFrame)
    assert RomSignature.decode(frame.command, frame.data) == RomSignature(signature=signature)


def test_rom_signature_out_of_range() -> None:
    with pytest.raises(LocalProtocolError):
        machine.rom_signature_reply(1, 0x10000)


def test_fault_replies() -> None:
    truncated = Fault(kind=FaultKind.TRUNCATED, reason="", raw=b"\x01", address=1)
    garbage = Fault(kind=FaultKind.GARBAGE, reason="", raw=b"\x10")
    unexpected = _fault(0x0E, b"\x07", address=5)
    assert machine.fault_reply(truncated, 1) is None
    assert machine.fault_reply(garbage, 1) is None
    assert machine.fault_reply(unexpected, 5) == b"\x85"


# --- layering ------------------------------------------------------------------------------

FORBIDDEN = {"asyncio", "serial", "sqlite3", "logging", "time", "agent", "simulator"}


@pytest.mark.parametrize("module", [machine, machine_requests])
def test_machine_modules_import_no_io(module: object) -> None:
    path = Path(str(getattr(module, "__file__", "")))
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    assert not names & FORBIDDEN
    assert len(path.read_text().splitlines()) < 400
