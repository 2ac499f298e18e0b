"""The reply deframer: cutting replies out of a byte stream, never raising.

Unit tests pin each garbling case of the module docstring; property tests
check the invariants for any input: every received byte is reported exactly
once and in order, each expectation resolves to exactly one reply or fault
(plus GARBAGE), and the chunking of the input never changes the outcome.
"""

from __future__ import annotations

from typing import cast

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from protocols.sas.commands import REPLY_SHAPES, ReplyKind, ReplyShape
from protocols.sas.crc import crc_ok
from protocols.sas.deframer import (
    Expectation,
    ExpectGeneralPoll,
    ExpectLongPoll,
    ExpectNothing,
    ReplyDeframer,
)
from protocols.sas.errors import LocalProtocolError
from protocols.sas.exception_codes import rte_data_length
from protocols.sas.frames import (
    AckFrame,
    BusyFrame,
    DataFrame,
    EventFrame,
    ExceptionFrame,
    Fault,
    FaultKind,
    Frame,
    NackFrame,
    Received,
)
from protocols.sas.messages import encode_event, encode_reply

from .independent import framed, garbage_bytes, is_garbage, replies, run, split
from .strategies import (
    ACK_COMMANDS,
    EVENT_DATA_BY_CODE,
    FRAMED_COMMANDS,
    PROPERTY_SETTINGS,
    addresses,
    bytes_1,
    expectations,
    reply_data,
)

ADDR = 0x05
CREDITS_1A = framed(ADDR, 0x1A, 0x00, 0x01, 0x66, 0x60)
EVENT_51 = framed(ADDR, 0xFF, 0x51)
LP_1A = ExpectLongPoll(address=ADDR, command=0x1A)
LP_1A_RTE = ExpectLongPoll(address=ADDR, command=0x1A, rte=True)
LP_02 = ExpectLongPoll(address=ADDR, command=0x02)  # answered by an ACK
GP = ExpectGeneralPoll(address=ADDR)
GP_RTE = ExpectGeneralPoll(address=ADDR, rte=True)
GP_SIGNATURE = ExpectGeneralPoll(address=ADDR, signature=True)


def _fault(kind: FaultKind, raw: bytes = b"", address: int | None = ADDR) -> tuple[object, ...]:
    return (kind, raw, address)


def _summary(items: list[Received]) -> list[object]:
    """Frames as they are; faults by kind, bytes and address (reasons are prose)."""
    return [
        (item.kind, item.raw, item.address) if isinstance(item, Fault) else item for item in items
    ]


# --- strategies of valid replies ----------------------------------------------------------


@st.composite
def event_frames(draw: st.DrawFn, address: int) -> bytes:
    """``addr FF code data CRC`` with the data length the exception table gives."""
    code = draw(bytes_1)
    if code in EVENT_DATA_BY_CODE:
        data = draw(EVENT_DATA_BY_CODE[code]).encode()
    else:
        size = rte_data_length(code)
        data = draw(st.binary(min_size=size, max_size=size))
    return encode_event(address, code, data)


@st.composite
def multi_byte_replies(draw: st.DrawFn) -> tuple[Expectation, bytes, type[Frame]]:
    """CRC-protected replies: long-poll data, RTE events, the ROM signature to a GP."""
    address = draw(addresses)
    kind = draw(st.sampled_from(["long-poll", "lp-event", "gp-event", "gp-signature"]))
    if kind == "long-poll":
        command = draw(st.sampled_from(FRAMED_COMMANDS))
        raw = encode_reply(address, command, draw(reply_data(command)))
        return (
            ExpectLongPoll(address=address, command=command, rte=draw(st.booleans())),
            raw,
            DataFrame,
        )
    if kind == "lp-event":
        command = draw(st.sampled_from(sorted(REPLY_SHAPES)))
        expect = ExpectLongPoll(address=address, command=command, rte=True)
        return expect, draw(event_frames(address)), EventFrame
    if kind == "gp-event":
        expect_gp = ExpectGeneralPoll(address=address, rte=True, signature=draw(st.booleans()))
        return expect_gp, draw(event_frames(address)), EventFrame
    signature = draw(st.integers(min_value=0, max_value=0xFFFF)).to_bytes(2, "little")
    expect_gp = ExpectGeneralPoll(address=address, rte=draw(st.booleans()), signature=True)
    return expect_gp, framed(address, 0x21, signature), DataFrame


@st.composite
def short_replies(draw: st.DrawFn) -> tuple[Expectation, bytes, type[Frame]]:
    """Replies without CRC: ACK, NACK, busy, exception codes."""
    address = draw(addresses)
    kind = draw(st.sampled_from(["ack", "nack", "busy", "exception"]))
    if kind == "ack":
        command = draw(st.sampled_from(ACK_COMMANDS))
        expect = ExpectLongPoll(address=address, command=command, rte=draw(st.booleans()))
        return expect, bytes([address]), AckFrame
    if kind in ("nack", "busy"):
        command = draw(st.sampled_from(sorted(REPLY_SHAPES)))
        expect = ExpectLongPoll(address=address, command=command, rte=draw(st.booleans()))
        if kind == "nack":
            return expect, bytes([address | 0x80]), NackFrame
        return expect, bytes([address, 0x00]), BusyFrame
    expect_gp = ExpectGeneralPoll(
        address=address, rte=draw(st.booleans()), signature=draw(st.booleans())
    )
    return expect_gp, bytes([draw(bytes_1)]), ExceptionFrame


valid_replies = st.one_of(multi_byte_replies(), short_replies())


def line_noise(expect: Expectation) -> st.SearchStrategy[bytes]:
    """Random bytes, rich in the ones the deframer branches on for ``expect``."""
    special = [0x00, 0x21, 0xFF, 0x80, 0x01, 0x7F]
    if not isinstance(expect, ExpectNothing):
        special += [expect.address, expect.address | 0x80, (expect.address % 0x7F) + 1]
    if isinstance(expect, ExpectLongPoll):
        special.append(expect.command)
    byte = st.one_of(bytes_1, st.sampled_from(special))
    return st.lists(byte, max_size=48).map(bytes)


noisy_lines = addresses.flatmap(expectations).flatmap(
    lambda expect: st.tuples(st.just(expect), line_noise(expect))
)
cut_points = st.lists(st.integers(min_value=1, max_value=48), max_size=12)
NOISE_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=300)


# --- unit: what each reply becomes ------------------------------------------------------


def test_data_reply_becomes_a_data_frame_without_length_byte_or_crc() -> None:
    raw = framed(ADDR, 0x54, 0x03, b"602")
    assert run(ExpectLongPoll(address=ADDR, command=0x54), [raw]) == [
        DataFrame(address=ADDR, command=0x54, data=b"602", raw=raw)
    ]


def test_fixed_reply_is_decided_as_soon_as_its_last_byte_arrives() -> None:
    deframer = ReplyDeframer()
    deframer.expect(LP_1A)
    assert deframer.receive_data(CREDITS_1A[:-1]) == []
    assert (deframer.pending, deframer.buffered) == (True, len(CREDITS_1A) - 1)
    (frame,) = deframer.receive_data(CREDITS_1A[-1:])
    assert isinstance(frame, DataFrame)
    assert (deframer.pending, deframer.buffered) == (False, 0)
    assert deframer.end_of_reply() == []


def test_exception_code_to_a_general_poll_is_decided_on_its_only_byte() -> None:
    deframer = ReplyDeframer()
    deframer.expect(GP)
    assert deframer.receive_data(b"\x51") == [ExceptionFrame(address=ADDR, code=0x51, raw=b"\x51")]


@pytest.mark.parametrize(
    ("expect", "raw", "frame"),
    [
        pytest.param(LP_1A, b"\x85", NackFrame(address=ADDR, raw=b"\x85"), id="NACK-addr-or-80"),
        pytest.param(LP_1A, b"\x05\x00", BusyFrame(address=ADDR, raw=b"\x05\x00"), id="busy"),
        pytest.param(LP_02, b"\x05", AckFrame(address=ADDR, raw=b"\x05"), id="ACK-on-quiet"),
        pytest.param(
            LP_02, b"\x05\x00", BusyFrame(address=ADDR, raw=b"\x05\x00"), id="busy-not-ACK"
        ),
        pytest.param(
            GP_RTE, b"\x05", ExceptionFrame(address=ADDR, code=5, raw=b"\x05"), id="GP-code-eq-addr"
        ),
        pytest.param(
            GP_SIGNATURE, b"\x05", ExceptionFrame(address=ADDR, code=5, raw=b"\x05"),
            id="GP-code-eq-addr-signature-on",
        ),
    ],
)  # fmt: skip
def test_short_reply_becomes_its_frame(expect: Expectation, raw: bytes, frame: Frame) -> None:
    assert run(expect, [raw]) == [frame]


def test_ack_then_another_byte_is_the_ack_and_the_byte_is_garbage() -> None:
    deframer = ReplyDeframer()
    deframer.expect(LP_02)
    assert deframer.receive_data(b"\x05") == []  # could still be busy
    assert deframer.receive_data(b"\x33") == [AckFrame(address=ADDR, raw=b"\x05")]
    assert _summary(deframer.end_of_reply()) == [_fault(FaultKind.GARBAGE, b"\x33", None)]


def test_ack_then_00_is_busy() -> None:
    deframer = ReplyDeframer()
    deframer.expect(LP_02)
    assert deframer.receive_data(b"\x05") == []
    assert deframer.receive_data(b"\x00") == [BusyFrame(address=ADDR, raw=b"\x05\x00")]


def test_exception_code_equal_to_the_address_waits_for_the_next_byte_with_rte_on() -> None:
    deframer = ReplyDeframer()
    deframer.expect(GP_RTE)
    assert deframer.receive_data(b"\x05") == []
    assert deframer.receive_data(b"\x22") == [ExceptionFrame(address=ADDR, code=5, raw=b"\x05")]
    assert _summary(deframer.end_of_reply()) == [_fault(FaultKind.GARBAGE, b"\x22", None)]


def test_address_then_FF_with_rte_on_is_an_event_not_an_exception() -> None:
    deframer = ReplyDeframer()
    deframer.expect(GP_RTE)
    assert deframer.receive_data(EVENT_51[:1]) == []
    assert deframer.receive_data(EVENT_51[1:]) == [
        EventFrame(address=ADDR, code=0x51, data=b"", raw=EVENT_51)
    ]


def test_address_then_21_with_signature_expected_is_the_rom_signature() -> None:
    raw = framed(ADDR, 0x21, 0x34, 0x12)
    deframer = ReplyDeframer()
    deframer.expect(GP_SIGNATURE)
    assert deframer.receive_data(raw[:1]) == []
    assert deframer.receive_data(raw[1:]) == [
        DataFrame(address=ADDR, command=0x21, data=b"\x34\x12", raw=raw)
    ]


def test_ack_or_an_rte_event_in_its_place_is_decided_by_the_byte_after_the_address() -> None:
    expect = ExpectLongPoll(address=ADDR, command=0x02, rte=True)
    assert run(expect, [EVENT_51[:1]]) == [AckFrame(address=ADDR, raw=EVENT_51[:1])]
    assert run(expect, [EVENT_51[:1], EVENT_51[1:]]) == [
        EventFrame(address=ADDR, code=0x51, data=b"", raw=EVENT_51)
    ]
    assert _summary(run(expect, [EVENT_51[:2]])) == [_fault(FaultKind.TRUNCATED, EVENT_51[:2])]


def test_exception_code_equal_to_the_address_is_immediate_without_rte_or_signature() -> None:
    deframer = ReplyDeframer()
    deframer.expect(GP)
    assert deframer.receive_data(b"\x05") == [ExceptionFrame(address=ADDR, code=5, raw=b"\x05")]


def test_rte_event_in_place_of_a_long_poll_reply_is_an_event_frame() -> None:
    assert run(LP_1A_RTE, [EVENT_51]) == [
        EventFrame(address=ADDR, code=0x51, data=b"", raw=EVENT_51)
    ]


def test_rte_event_to_a_long_poll_with_rte_off_is_unexpected() -> None:
    assert _summary(run(LP_1A, [EVENT_51])) == [_fault(FaultKind.UNEXPECTED, EVENT_51)]


def test_rte_event_with_data_is_cut_at_the_length_of_its_code() -> None:
    raw = framed(ADDR, 0xFF, 0x7F, 0x00, 0x00, 0x01, 0x00)
    assert run(LP_1A_RTE, [raw + b"\x99"])[0] == EventFrame(
        address=ADDR, code=0x7F, data=bytes.fromhex("00 00 01 00"), raw=raw
    )


# --- unit: faults ------------------------------------------------------------------------------


def test_reply_from_another_address_is_wrong_address() -> None:
    raw = framed(ADDR + 1, 0x1A, 0x00, 0x00, 0x00, 0x01)
    (fault,) = run(LP_1A, [raw])
    assert isinstance(fault, Fault)
    assert fault.kind is FaultKind.WRONG_ADDRESS
    assert fault.address == ADDR


def test_reply_from_another_address_is_wrong_address_when_fed_byte_by_byte() -> None:
    raw = framed(ADDR + 1, 0x1A, 0x00, 0x00, 0x00, 0x01)
    received = run(LP_1A, [bytes([b]) for b in raw])
    assert [r.kind for r in replies(received) if isinstance(r, Fault)] == [FaultKind.WRONG_ADDRESS]
    assert b"".join(r.raw for r in received) == raw


def test_wrong_command_echo_is_unexpected() -> None:
    raw = framed(ADDR, 0x11, 0x00, 0x00, 0x00, 0x01)
    assert _summary(run(LP_1A, [raw])) == [_fault(FaultKind.UNEXPECTED, raw)]


def test_data_reply_to_a_poll_answered_by_ack_is_the_ack_then_garbage() -> None:
    raw = framed(ADDR, 0x02, 0x01)
    assert _summary(run(LP_02, [raw])) == [
        AckFrame(address=ADDR, raw=raw[:1]),
        _fault(FaultKind.GARBAGE, raw[1:], None),
    ]


@pytest.mark.parametrize(
    ("expect", "raw"),
    [
        pytest.param(LP_1A, CREDITS_1A[:-1] + b"\x00", id="fixed"),
        pytest.param(
            ExpectLongPoll(address=ADDR, command=0x54),
            framed(ADDR, 0x54, 0x03, b"602")[:-1] + b"\x00",
            id="variable",
        ),
        pytest.param(GP_RTE, EVENT_51[:-1] + b"\x00", id="event"),
        pytest.param(GP_SIGNATURE, framed(ADDR, 0x21, 0, 0)[:-1] + b"\x01", id="signature"),
    ],
)
def test_crc_mismatch_is_bad_crc_with_the_frame_bytes(expect: Expectation, raw: bytes) -> None:
    assert _summary(run(expect, [raw])) == [_fault(FaultKind.BAD_CRC, raw)]


def test_silence_is_no_reply_for_the_expected_address() -> None:
    assert _summary(run(LP_1A, [])) == [_fault(FaultKind.NO_REPLY)]
    assert _summary(run(GP, [b""])) == [_fault(FaultKind.NO_REPLY)]


@pytest.mark.parametrize(
    ("expect", "raw"),
    [
        pytest.param(LP_1A, CREDITS_1A[:1], id="address-only"),
        pytest.param(LP_1A, CREDITS_1A[:5], id="fixed"),
        pytest.param(ExpectLongPoll(address=ADDR, command=0x54), b"\x05\x54", id="no-len"),
        pytest.param(ExpectLongPoll(address=ADDR, command=0x54), b"\x05\x54\x03\x36", id="var"),
        pytest.param(GP_RTE, EVENT_51[:2], id="event-no-code"),
        pytest.param(GP_RTE, EVENT_51[:4], id="event"),
    ],
)
def test_line_going_quiet_mid_frame_is_truncated(expect: Expectation, raw: bytes) -> None:
    assert _summary(run(expect, [raw])) == [_fault(FaultKind.TRUNCATED, raw)]


def test_stray_copy_of_the_address_byte_is_dropped_and_the_reply_found() -> None:
    received = run(LP_1A, [bytes([ADDR]) + CREDITS_1A])
    assert _summary(received) == [
        _fault(FaultKind.GARBAGE, bytes([ADDR]), None),
        DataFrame(address=ADDR, command=0x1A, data=CREDITS_1A[2:-2], raw=CREDITS_1A),
    ]


def test_junk_before_the_reply_is_garbage_then_the_reply() -> None:
    received = run(LP_1A, [b"\x00\xfe\x33" + CREDITS_1A])
    assert _summary(received) == [
        _fault(FaultKind.GARBAGE, b"\x00\xfe\x33", None),
        DataFrame(address=ADDR, command=0x1A, data=CREDITS_1A[2:-2], raw=CREDITS_1A),
    ]


def test_bytes_after_the_reply_are_garbage_at_end_of_reply() -> None:
    deframer = ReplyDeframer()
    deframer.expect(LP_1A)
    (frame,) = deframer.receive_data(CREDITS_1A + b"\x01")
    assert isinstance(frame, DataFrame)
    assert deframer.receive_data(b"\x02") == []
    assert deframer.buffered == 2
    assert _summary(deframer.end_of_reply()) == [_fault(FaultKind.GARBAGE, b"\x01\x02", None)]
    assert deframer.end_of_reply() == []


def test_bytes_after_the_reply_are_garbage_at_the_next_expect() -> None:
    deframer = ReplyDeframer()
    deframer.expect(LP_1A)
    deframer.receive_data(CREDITS_1A + b"\x01")
    assert _summary(deframer.expect(GP)) == [_fault(FaultKind.GARBAGE, b"\x01", None)]
    assert deframer.pending


def test_bytes_with_nothing_pending_are_garbage() -> None:
    deframer = ReplyDeframer()
    assert not deframer.pending
    assert deframer.receive_data(b"\x81\x05") == []
    assert _summary(deframer.end_of_reply()) == [_fault(FaultKind.GARBAGE, b"\x81\x05", None)]
    assert deframer.expect(ExpectNothing()) == []
    assert not deframer.pending
    assert deframer.receive_data(b"\x05") == []
    assert _summary(deframer.end_of_reply()) == [_fault(FaultKind.GARBAGE, b"\x05", None)]


# --- unit: the shape table ----------------------------------------------------------------------


def test_expecting_a_command_without_a_known_reply_shape_is_refused() -> None:
    deframer = ReplyDeframer()
    with pytest.raises(LocalProtocolError, match="C5"):
        deframer.expect(ExpectLongPoll(address=ADDR, command=0xC5))
    assert deframer.shape_for(0xC5) is None


def test_a_shape_passed_with_the_expectation_overrides_the_table() -> None:
    raw = framed(ADDR, 0xC5, 0x01, 0x02)
    shape = ReplyShape(ReplyKind.FIXED, 6)
    expect = ExpectLongPoll(address=ADDR, command=0xC5, shape=shape)
    assert run(expect, [raw]) == [DataFrame(address=ADDR, command=0xC5, data=b"\x01\x02", raw=raw)]


def test_a_deframer_built_with_its_own_table_uses_it() -> None:
    deframer = ReplyDeframer(shapes={0x1A: REPLY_SHAPES[0x54]})  # vendor sends a length byte
    assert deframer.shape_for(0x1A) == REPLY_SHAPES[0x54]
    raw = framed(ADDR, 0x1A, 0x02, 0x12, 0x34)
    assert run(LP_1A, [raw], deframer) == [
        DataFrame(address=ADDR, command=0x1A, data=b"\x12\x34", raw=raw)
    ]
    with pytest.raises(LocalProtocolError):
        deframer.expect(ExpectLongPoll(address=ADDR, command=0x11))


# --- properties ----------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(valid_replies, cut_points)
def test_any_chunking_of_a_valid_reply_yields_the_same_single_frame(
    reply: tuple[Expectation, bytes, type[Frame]], cuts: list[int]
) -> None:
    expect, raw, frame_type = reply
    received = run(expect, split(raw, cuts))
    assert len(received) == 1, received
    (frame,) = received
    assert isinstance(frame, frame_type)
    assert frame.raw == raw
    assert received == run(expect, [raw])


@PROPERTY_SETTINGS
@given(multi_byte_replies(), st.data())
def test_every_strict_prefix_of_a_reply_is_incomplete_then_truncated(
    reply: tuple[Expectation, bytes, type[Frame]], data: st.DataObject
) -> None:
    expect, raw, _ = reply
    assert not isinstance(expect, ExpectNothing)
    # One byte alone is a whole reply to a general poll (an exception code) and to a
    # poll answered by an ACK (the ACK): see the ambiguity tests.
    one_byte_is_whole = isinstance(expect, ExpectGeneralPoll) or (
        REPLY_SHAPES[expect.command].kind is ReplyKind.ACK
    )
    shortest = 2 if one_byte_is_whole else 1
    for length in range(shortest, len(raw)):
        deframer = ReplyDeframer()
        deframer.expect(expect)
        prefix = raw[:length]
        for chunk in split(prefix, data.draw(cut_points)):
            assert deframer.receive_data(chunk) == []
        assert deframer.pending
        assert _summary(deframer.end_of_reply()) == [
            _fault(FaultKind.TRUNCATED, prefix, expect.address)
        ]


@PROPERTY_SETTINGS
@given(multi_byte_replies())
def test_one_byte_prefix_of_a_general_poll_frame_is_the_exception_code_equal_to_address(
    reply: tuple[Expectation, bytes, type[Frame]],
) -> None:
    expect, raw, _ = reply
    assume(isinstance(expect, ExpectGeneralPoll))
    address = raw[0]
    assert run(expect, [raw[:1]]) == [ExceptionFrame(address=address, code=address, raw=raw[:1])]


def _check_resolution(expect: Expectation, data: bytes, received: list[Received]) -> None:
    """The invariants every outcome obeys, whatever the bytes were."""
    assert b"".join(item.raw for item in received) == data, "bytes lost, duplicated or reordered"
    decided = replies(received)
    assert len(decided) == (0 if isinstance(expect, ExpectNothing) else 1), received
    for item in decided:
        if isinstance(item, DataFrame | EventFrame):
            assert crc_ok(item.raw)
        if not isinstance(item, Fault) or item.kind is not FaultKind.NO_REPLY:
            assert item.raw, item
        assert item.address == cast(ExpectGeneralPoll | ExpectLongPoll, expect).address


@NOISE_SETTINGS
@given(noisy_lines, cut_points)
def test_random_garbage_never_raises_and_resolves_to_one_reply_or_fault(
    line: tuple[Expectation, bytes], cuts: list[int]
) -> None:
    expect, data = line
    _check_resolution(expect, data, run(expect, split(data, cuts)))


@NOISE_SETTINGS
@given(noisy_lines, cut_points)
def test_chunking_never_changes_which_frames_and_faults_come_out(
    line: tuple[Expectation, bytes], cuts: list[int]
) -> None:
    expect, data = line

    def outcome(items: list[Received]) -> list[object]:
        return [item.kind if isinstance(item, Fault) else item for item in replies(items)]

    whole = run(expect, [data])
    chunked = run(expect, split(data, cuts))
    assert outcome(chunked) == outcome(whole)


@PROPERTY_SETTINGS
@given(multi_byte_replies(), st.data())
def test_single_bit_flip_of_a_reply_never_raises_and_is_never_accepted(
    reply: tuple[Expectation, bytes, type[Frame]], data: st.DataObject
) -> None:
    expect, raw, _ = reply
    flipped = bytearray(raw)
    bit = data.draw(st.integers(min_value=0, max_value=8 * len(raw) - 1))
    flipped[bit // 8] ^= 1 << (bit % 8)
    received = run(expect, split(bytes(flipped), data.draw(cut_points)))
    _check_resolution(expect, bytes(flipped), received)
    assert not any(
        isinstance(item, DataFrame | EventFrame) and item.raw == bytes(flipped) for item in received
    )


@PROPERTY_SETTINGS
@given(multi_byte_replies(), st.binary(min_size=1, max_size=16), cut_points)
def test_junk_before_a_long_poll_reply_is_garbage_then_the_reply(
    reply: tuple[Expectation, bytes, type[Frame]], junk: bytes, cuts: list[int]
) -> None:
    expect, raw, frame_type = reply
    assume(isinstance(expect, ExpectLongPoll))
    assert isinstance(expect, ExpectLongPoll)
    address = expect.address
    # Junk holding the address could be a reply start; junk "a cmd" is another
    # machine's reply (WRONG_ADDRESS): neither is junk the deframer can skip.
    assume(address not in junk and address | 0x80 not in junk)
    stream = junk + raw
    assume(
        not any(
            1 <= stream[i] <= 0x7F and stream[i + 1] == expect.command for i in range(len(junk))
        )
    )
    received = run(expect, split(stream, cuts))
    assert all(is_garbage(item) for item in received[:-1])
    assert garbage_bytes(received) == junk
    assert isinstance(received[-1], frame_type)
    assert received[-1].raw == raw


@PROPERTY_SETTINGS
@given(valid_replies, st.binary(min_size=1, max_size=16), st.booleans())
def test_bytes_after_a_reply_come_out_as_garbage(
    reply: tuple[Expectation, bytes, type[Frame]], trailing: bytes, same_chunk: bool
) -> None:
    expect, raw, frame_type = reply
    # A short reply that a longer frame could extend is only decided by what follows.
    assume(frame_type not in (AckFrame, ExceptionFrame))
    chunks = [raw + trailing] if same_chunk else [raw, trailing]
    received = run(expect, chunks)
    assert isinstance(received[0], frame_type)
    assert received[0].raw == raw
    assert _summary(received[1:]) == [_fault(FaultKind.GARBAGE, trailing, None)]


@PROPERTY_SETTINGS
@given(st.binary(min_size=1, max_size=32), cut_points)
def test_bytes_with_nothing_pending_always_come_out_as_one_garbage_fault(
    data: bytes, cuts: list[int]
) -> None:
    deframer = ReplyDeframer()
    for chunk in split(data, cuts):
        assert deframer.receive_data(chunk) == []
    assert _summary(deframer.end_of_reply()) == [_fault(FaultKind.GARBAGE, data, None)]
