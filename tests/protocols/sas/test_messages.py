"""Message codecs (reference §3): round trips, decoding faults, and helper properties."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.sas.deframer import ExpectGeneralPoll, ExpectLongPoll
from protocols.sas.errors import BcdError, LocalProtocolError
from protocols.sas.frames import DataFrame, EventFrame, Fault, FaultKind
from protocols.sas.messages import (
    DECODERS,
    AftTransferStatus,
    Decoder,
    ExtendedMeters,
    Features,
    GameConfiguration,
    HandpayInfo,
    LastBill,
    Message,
    MultiMeters,
    RawReply,
    RteEvent,
    SelectedMeters,
    SingleMeter,
    TicketData,
    ValidationRecord,
    VersionSerial,
    decode_event,
    decode_reply,
    encode_event,
    encode_reply,
)
from protocols.sas.messages.cash import bill_dollars
from protocols.sas.messages.events import EVENT_DECODERS, EventData
from protocols.sas.messages.fields import Malformed, Reader, ascii_field
from protocols.sas.messages.identity import denomination_cents
from protocols.sas.messages.meters import ExtendedMeter
from protocols.sas.meter_codes import Meter

from .independent import framed, run
from .strategies import (
    EVENT_DATA_BY_CODE,
    FRAMED_COMMANDS,
    MESSAGES_BY_COMMAND,
    PROPERTY_SETTINGS,
    addresses,
    reply_data,
)

PER_COMMAND_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=25)


def _lp_id(command: int) -> str:
    decoder = DECODERS.get(command)
    name = getattr(decoder, "__qualname__", "RawReply.decode").split(".")[0]
    return f"LP{command:02X}-{name}"


def _event_id(code: int) -> str:
    return f"RTE{code:02X}"


# --- round trips ---------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(DECODERS), ids=_lp_id)
@PER_COMMAND_SETTINGS
@given(data=st.data())
def test_decode_of_encode_is_the_same_message(command: int, data: st.DataObject) -> None:
    message = data.draw(MESSAGES_BY_COMMAND[command])
    assert DECODERS[command](command, message.encode()) == message


def test_round_trips_cover_every_message_type() -> None:
    covered = {_lp_id(c).split("-")[1] for c in DECODERS}
    expected = {t.__name__ for t in get_args(Message)} - {"RawReply"}
    assert covered == expected


@pytest.mark.parametrize("command", FRAMED_COMMANDS, ids=_lp_id)
@PER_COMMAND_SETTINGS
@given(data=st.data(), address=addresses)
def test_reply_frame_round_trips_through_encode_reply_deframer_and_decode_reply(
    command: int, data: st.DataObject, address: int
) -> None:
    message: Message
    if command in MESSAGES_BY_COMMAND:
        message = data.draw(MESSAGES_BY_COMMAND[command])
        payload = message.encode()
    else:
        payload = data.draw(reply_data(command))
        message = RawReply(command=command, data=payload)
    raw = encode_reply(address, command, payload)
    received = run(ExpectLongPoll(address=address, command=command), [raw])
    assert received == [DataFrame(address=address, command=command, data=payload, raw=raw)]
    frame = received[0]
    assert isinstance(frame, DataFrame)
    assert decode_reply(frame) == message


@pytest.mark.parametrize("code", sorted(EVENT_DATA_BY_CODE), ids=_event_id)
@PER_COMMAND_SETTINGS
@given(data=st.data(), address=addresses)
def test_event_round_trips_through_encode_event_deframer_and_decode_event(
    code: int, data: st.DataObject, address: int
) -> None:
    event_data: EventData = data.draw(EVENT_DATA_BY_CODE[code])
    payload = event_data.encode()
    assert EVENT_DECODERS[code](payload) == event_data
    raw = encode_event(address, code, payload)
    (frame,) = run(ExpectGeneralPoll(address=address, rte=True), [raw])
    assert frame == EventFrame(address=address, code=code, data=payload, raw=raw)
    assert decode_event(frame) == RteEvent(code=code, data=event_data, raw_data=payload)


def test_event_data_strategies_cover_every_event_decoder() -> None:
    assert set(EVENT_DATA_BY_CODE) == set(EVENT_DECODERS)


# --- decoding never raises -------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(DECODERS), ids=_lp_id)
@PER_COMMAND_SETTINGS
@given(payload=st.binary(max_size=48))
def test_decode_reply_of_arbitrary_data_is_a_message_or_an_unexpected_fault(
    command: int, payload: bytes
) -> None:
    raw = framed(1, command, payload)
    result = decode_reply(DataFrame(address=1, command=command, data=payload, raw=raw))
    if isinstance(result, Fault):
        assert result.kind is FaultKind.UNEXPECTED
        assert result.raw == raw
        assert result.address == 1


@pytest.mark.parametrize("code", sorted(EVENT_DECODERS), ids=_event_id)
@PER_COMMAND_SETTINGS
@given(payload=st.binary(max_size=16))
def test_decode_event_of_arbitrary_data_is_an_event_or_an_unexpected_fault(
    code: int, payload: bytes
) -> None:
    raw = framed(1, 0xFF, code, payload)
    result = decode_event(EventFrame(address=1, code=code, data=payload, raw=raw))
    if isinstance(result, Fault):
        assert result.kind is FaultKind.UNEXPECTED
        assert result.raw == raw
    else:
        assert result.code == code
        assert result.raw_data == payload


def _data_frame(command: int, payload: bytes) -> DataFrame:
    return DataFrame(address=1, command=command, data=payload, raw=framed(1, command, payload))


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        pytest.param(0x1A, bytes.fromhex("00 0A 00 00"), id="1A-low-nibble-A"),
        pytest.param(0x1A, bytes.fromhex("F0 00 00 00"), id="1A-high-nibble-F"),
        pytest.param(0x0F, bytes.fromhex("00 00 00 00") * 5 + b"\x00\x00\x9a\x00", id="0F-last"),
        pytest.param(0x57, bytes.fromhex("00 00 00 00 00 0B"), id="57-amount"),
        pytest.param(0x6F, bytes.fromhex("00 00 0C 00 04 00 0C 00 00"), id="6F-value"),
        pytest.param(0x2F, bytes.fromhex("A0 00 00 00 00 00 00"), id="2F-game"),
        pytest.param(0x7E, bytes.fromhex("1C 01 20 24 00 00 00"), id="7E-month"),
    ],
)
def test_bad_bcd_in_a_reply_is_an_unexpected_fault_not_an_exception(
    command: int, payload: bytes
) -> None:
    result = decode_reply(_data_frame(command, payload))
    assert isinstance(result, Fault)
    assert result.kind is FaultKind.UNEXPECTED
    assert "not BCD" in result.reason


@pytest.mark.parametrize(
    ("command", "payload", "reason"),
    [
        pytest.param(0x1A, bytes(3), "need 4 bytes", id="1A-short"),
        pytest.param(0x1A, bytes(5), "trailing", id="1A-long"),
        pytest.param(0x7E, bytes.fromhex("13 01 20 24 00 00 00"), "date", id="7E-month-13"),
        pytest.param(0x7E, bytes.fromhex("02 30 20 24 00 00 00"), "date", id="7E-feb-30"),
        pytest.param(0x7E, bytes.fromhex("01 01 00 00 00 00 00"), "date", id="7E-year-0"),
        pytest.param(0x7E, bytes.fromhex("01 01 20 24 24 00 00"), "date", id="7E-hour-24"),
        pytest.param(0x6F, bytes.fromhex("00 00 0C 00 0A") + bytes(10), "size", id="6F-size-10"),
        pytest.param(0x6F, bytes.fromhex("00 00 0C"), "need 2 bytes", id="6F-half-code"),
        pytest.param(0x54, b"602" + b"1" * 41, "max 40", id="54-serial-41"),
        pytest.param(0x54, b"60", "need 3 bytes", id="54-short-version"),
        pytest.param(0x54, b"602\x00", "printable", id="54-nul-in-serial"),
        pytest.param(0x1F, b"A\x7f" + bytes(18), "printable", id="1F-DEL-in-game-id"),
        pytest.param(0x72, bytes(24) + b"\x15", "max 20", id="72-tid-21"),
        pytest.param(0x56, bytes.fromhex("02 00 01"), "need 2 bytes", id="56-count-too-big"),
    ],
)
def test_reply_data_that_does_not_fit_its_layout_is_an_unexpected_fault(
    command: int, payload: bytes, reason: str
) -> None:
    result = decode_reply(_data_frame(command, payload))
    assert isinstance(result, Fault)
    assert result.kind is FaultKind.UNEXPECTED
    assert reason in result.reason
    assert result.reason.startswith(f"LP {command:02X} reply")


def test_malformed_event_data_is_an_unexpected_fault() -> None:
    frame = EventFrame(address=1, code=0x7F, data=b"\x00\x0a", raw=framed(1, 0xFF, 0x7F, 0, 10))
    result = decode_event(frame)
    assert isinstance(result, Fault)
    assert result.kind is FaultKind.UNEXPECTED
    assert result.reason.startswith("RTE event 7F")


def test_event_without_data_layout_keeps_its_code_and_raw_bytes() -> None:
    frame = EventFrame(address=1, code=0x51, data=b"", raw=framed(1, 0xFF, 0x51))
    assert decode_event(frame) == RteEvent(code=0x51, data=None, raw_data=b"")


def test_reply_to_a_command_without_decoder_is_kept_as_raw_reply() -> None:
    result = decode_reply(_data_frame(0xB1, b"\x01\x02"))
    assert result == RawReply(command=0xB1, data=b"\x01\x02")
    assert isinstance(result, RawReply)
    assert result.encode() == b"\x01\x02"


def test_decode_reply_uses_the_decoder_table_passed_in() -> None:
    decoders: dict[int, Decoder] = {0x1E: SingleMeter.decode}
    assert decode_reply(_data_frame(0x1E, b"\x00\x00\x00\x07"), decoders) == SingleMeter(
        command=0x1E, value=7
    )
    assert decode_reply(_data_frame(0x1A, b"\x00\x00\x00\x07"), decoders) == RawReply(
        command=0x1A, data=b"\x00\x00\x00\x07"
    )


def test_lp_3D_standard_validation_reply_is_not_mistaken_for_a_meter() -> None:
    payload = bytes.fromhex("12 34 56 78 00 00 00 25 00")  # validation number, amount
    raw = encode_reply(1, 0x3D, payload)
    assert len(raw) == 13
    (frame,) = run(ExpectLongPoll(address=1, command=0x3D), [raw])
    assert isinstance(frame, DataFrame)
    assert decode_reply(frame) == RawReply(command=0x3D, data=payload)


# --- encode_reply / encode_event -----------------------------------------------------


def test_encode_reply_adds_the_length_byte_for_variable_replies() -> None:
    assert encode_reply(1, 0x54, b"602") == framed(1, 0x54, 3, b"602")


def test_encode_reply_of_a_fixed_reply_has_no_length_byte() -> None:
    assert encode_reply(1, 0x1A, bytes(4)) == framed(1, 0x1A, bytes(4))


def test_encode_reply_of_an_unknown_command_frames_data_as_is() -> None:
    assert encode_reply(1, 0xC5, b"\x01") == framed(1, 0xC5, 1)


def test_encode_reply_uses_the_shape_table_passed_in() -> None:
    assert encode_reply(1, 0x1A, b"\x01", shapes={}) == framed(1, 0x1A, 1)


def test_encode_reply_refuses_data_of_the_wrong_fixed_length() -> None:
    with pytest.raises(LocalProtocolError, match="takes 4 data bytes"):
        encode_reply(1, 0x1A, bytes(5))


def test_encode_reply_refuses_variable_data_longer_than_255() -> None:
    with pytest.raises(LocalProtocolError, match="255"):
        encode_reply(1, 0x54, bytes(256))


def test_encode_event_frames_addr_FF_code_data_crc() -> None:
    assert encode_event(1, 0x51) == bytes.fromhex("01 FF 51 10 E6")
    assert encode_event(1, 0x7F, bytes(4)) == framed(1, 0xFF, 0x7F, bytes(4))


# --- field helpers --------------------------------------------------------------------


def test_reader_refuses_a_negative_count_and_reads_past_nothing() -> None:
    reader = Reader(b"\x01")
    with pytest.raises(Malformed):
        reader.take(-1)
    assert reader.take(1) == b"\x01"
    with pytest.raises(Malformed):
        reader.byte()
    reader.done()


def test_ascii_field_refuses_text_of_the_wrong_length() -> None:
    assert ascii_field("602", 3) == b"602"
    with pytest.raises(BcdError):
        ascii_field("60", 3)


# --- helper properties ------------------------------------------------------------------

# Reference §3.0 Table C-4, in cents per credit.
TABLE_C4 = {
    0x01: 1, 0x02: 5, 0x03: 10, 0x04: 25, 0x05: 50, 0x06: 100, 0x07: 500, 0x08: 1000,
    0x09: 2000, 0x0A: 10000, 0x0B: 20, 0x0C: 200, 0x0D: 250, 0x0E: 2500, 0x0F: 5000,
    0x10: 20000, 0x11: 25000, 0x12: 50000, 0x13: 100000, 0x14: 200000, 0x15: 250000,
    0x16: 500000, 0x17: 2, 0x18: 3, 0x19: 15, 0x1A: 40,
}  # fmt: skip


@pytest.mark.parametrize(("code", "cents"), sorted(TABLE_C4.items()), ids=lambda v: f"{v:02X}")
def test_denomination_code_maps_to_table_c4_cents(code: int, cents: int) -> None:
    assert denomination_cents(code) == cents
    config = GameConfiguration(
        game=None, game_id="AT", additional_id="000", denomination=code, max_bet=1,
        progressive_group=0, game_options=0, paytable_id="000000", base_percent="9000",
    )  # fmt: skip
    assert config.denomination_cents == cents


@pytest.mark.parametrize("code", [0x00, 0x1B, 0x7F, 0xFF], ids=lambda c: f"{c:02X}")
def test_unknown_denomination_code_has_no_cents_value(code: int) -> None:
    assert denomination_cents(code) is None


# Reference §3.6: bill codes 00-09 are $1 ... $250; higher codes are read as BCD
# when they can be, else as a binary index (0A-0F); both lead to the Table C-6 list.
BILL_CODES = {
    0x00: 1, 0x01: 2, 0x02: 5, 0x03: 10, 0x04: 20, 0x05: 25, 0x06: 50, 0x07: 100, 0x08: 200,
    0x09: 250, 0x0A: 500, 0x0F: 10000, 0x10: 500, 0x11: 1000, 0x15: 10000, 0x19: 100000,
    0x23: 1000000,
}  # fmt: skip


@pytest.mark.parametrize(("code", "dollars"), sorted(BILL_CODES.items()), ids=lambda v: f"{v:02X}")
def test_bill_code_maps_to_its_dollar_value(code: int, dollars: int) -> None:
    assert bill_dollars(code) == dollars
    assert LastBill(country=37, bill_code=code, count=1).dollars == dollars


@pytest.mark.parametrize("code", [0x24, 0x1A, 0x99, 0xFF], ids=lambda c: f"{c:02X}")
def test_bill_code_beyond_the_table_has_no_dollar_value(code: int) -> None:
    assert bill_dollars(code) is None


def _handpay(level: int, amount: int = 100) -> HandpayInfo:
    return HandpayInfo(progressive_group=0, level=level, amount=amount, partial_pay=0, reset_id=0)


@pytest.mark.parametrize("level", [0x01, 0x10, 0x20], ids=lambda v: f"{v:02X}")
def test_handpay_amount_is_in_cents_for_progressive_levels_01_to_20(level: int) -> None:
    assert _handpay(level).amount_in_cents


@pytest.mark.parametrize("level", [0x00, 0x21, 0x40, 0x80], ids=lambda v: f"{v:02X}")
def test_handpay_amount_is_in_credits_for_other_levels(level: int) -> None:
    assert not _handpay(level).amount_in_cents


def test_handpay_of_all_zeros_is_not_pending() -> None:
    assert not _handpay(0, amount=0).pending
    assert _handpay(0x40, amount=0).pending
    assert _handpay(0, amount=5).pending


@pytest.mark.parametrize(
    ("name", "byte", "bit"),
    [
        ("validation_extensions", 0, 4),
        ("ticket_redemption", 0, 7),
        ("extended_meters", 1, 3),
        ("aft", 1, 6),
        ("multi_denom", 1, 7),
        ("fast_polling", 2, 0),
    ],
)
def test_feature_property_reads_its_reference_bit(name: str, byte: int, bit: int) -> None:
    only = bytearray(4)
    only[byte] = 1 << bit
    assert getattr(Features(game=0, features=bytes(only)), name) is True
    all_but = bytearray(b"\xff" * 4)
    all_but[byte] &= ~(1 << bit) & 0xFF
    assert getattr(Features(game=0, features=bytes(all_but)), name) is False


def test_extended_meters_list_size_0_entries_as_unsupported() -> None:
    meters = ExtendedMeters(
        command=0x6F,
        game=0,
        meters=(
            ExtendedMeter(code=0x00, size=4, value=10),
            ExtendedMeter(code=0xA0, size=0, value=None),
            ExtendedMeter(code=0xB8, size=0, value=None),
        ),
    )
    assert meters.unsupported == (0xA0, 0xB8)
    assert meters.as_dict() == {0x00: 10}


def test_single_meter_knows_its_table_c7_code_when_it_has_one() -> None:
    assert SingleMeter(command=0x1A, value=0).meter_code == Meter.CURRENT_CREDITS
    assert SingleMeter(command=0x13, value=0).meter_code == Meter.TOTAL_DROP
    assert SingleMeter(command=0x31, value=0).meter_code is None


def test_multi_meters_from_meters_fills_the_layout_with_zeros_for_missing_meters() -> None:
    message = MultiMeters.from_meters(0x19, {Meter.COIN_IN: 7, 0x99: 1})
    assert message.as_dict() == {
        Meter.COIN_IN: 7,
        Meter.COIN_OUT: 0,
        Meter.TOTAL_DROP: 0,
        Meter.JACKPOT: 0,
        Meter.GAMES_PLAYED: 0,
    }
    assert message.door_opened_count is None


def test_multi_meters_1C_carries_door_and_power_counts() -> None:
    message = MultiMeters.from_meters(0x1C, {}, door_opened=3, power_resets=4)
    assert (message.door_opened_count, message.power_reset_count) == (3, 4)
    assert message.encode()[-8:] == bytes.fromhex("00 00 00 03 00 00 00 04")


def test_selected_meters_as_dict() -> None:
    assert SelectedMeters(game=0, values=((0, 5), (0x0D, 6))).as_dict() == {0: 5, 0x0D: 6}


@pytest.mark.parametrize(
    ("version", "major"), [("602", 6), ("503", 5), ("A01", 0)], ids=["602", "503", "not-digit"]
)
def test_version_major_is_the_first_digit(version: str, major: int) -> None:
    assert VersionSerial(version=version, serial="").major == major


def test_ticket_validation_number_is_digits_when_bcd_else_upper_hex() -> None:
    def ticket(parsing: int, data: str) -> TicketData:
        return TicketData(
            status=0, amount_cents=0, parsing_code=parsing, validation_data=bytes.fromhex(data)
        )

    assert ticket(0, "00 12 34").validation_number == "001234"
    assert ticket(0, "00 1A FF").validation_number == "001AFF"
    assert ticket(1, "ab cd").validation_number == "ABCD"


@pytest.mark.parametrize(
    ("status", "pending", "succeeded"),
    [(0x00, False, True), (0x01, False, True), (0x40, True, False), (0x80, False, False),
     (0x9F, False, False), (0xC0, False, False), (0xFF, False, False)],
    ids=lambda v: f"{v:02X}" if isinstance(v, int) and not isinstance(v, bool) else str(v),
)  # fmt: skip
def test_aft_transfer_status_class_comes_from_the_top_bits(
    status: int, pending: bool, succeeded: bool
) -> None:
    message = AftTransferStatus(
        buffer_position=0, transfer_status=status, receipt_status=0, transfer_type=0,
        cashable_cents=0, restricted_cents=0, nonrestricted_cents=0, transfer_flags=0,
        asset_number=0, transaction_id="",
    )  # fmt: skip
    assert message.pending is pending
    assert message.succeeded is succeeded


def test_validation_record_date_is_encoded_mmddyyyy_hhmmss() -> None:
    record = ValidationRecord(
        validation_type=0, index=0, moment=datetime(2024, 3, 15, 14, 30, 5),
        validation_number=0, amount_cents=0, ticket_number=0, system_id=0, expiration=0,
        pool_id=0,
    )  # fmt: skip
    assert record.encode()[2:9] == bytes.fromhex("03 15 20 24 14 30 05")
