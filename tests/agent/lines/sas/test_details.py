"""Details events: service replies (1B, 4D, 48, 57, 70) and the ROM signature."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.events.envelope import Channel
from agent.lines.sas.details import handpay_type, long_poll_of
from protocols.sas.messages import (
    CashoutTicket,
    DateTime,
    HandpayInfo,
    LastBill,
    Message,
    RawReply,
    TicketData,
    ValidationRecord,
)
from protocols.sas.session_types import RomSignatureReported, ServiceReply
from simulator.ledger_compare import upstream_from_json
from tests.agent.events.helpers import envelope, exception, identified, mapper, meters_read, one
from tests.protocols.sas.strategies import MESSAGES_BY_COMMAND, PROPERTY_SETTINGS


def reply(trigger: int, message: Message) -> ServiceReply:
    return ServiceReply(address=1, trigger=trigger, message=message, gate=3)


def handpay(level: int, amount: int, partial: int = 0) -> HandpayInfo:
    return HandpayInfo(
        progressive_group=1, level=level, amount=amount, partial_pay=partial, reset_id=1
    )


# --- LP 1B: the handpay amount's unit depends on the level (reference §3.0) --------------


@pytest.mark.parametrize("level", [0x01, 0x0A, 0x20])
@pytest.mark.parametrize("denomination", [1, 5, 100, None])
def test_a_progressive_handpay_amount_is_already_cents(
    level: int, denomination: int | None
) -> None:
    event = one(identified(denomination).map(reply(0x51, handpay(level, 123_456, partial=10))))
    assert (event.event, event.channel) == ("handpayDetailsRead", Channel.CASH)
    data = dict(event.data)
    assert data["amount_cents"] == 123_456
    assert data["handpay_type"] == "progressive"
    assert data["level"] == level
    if denomination is None:  # partial pay is always credits
        assert data["partial_pay_credits"] == 10
        assert data["denomination_unknown"] is True
    else:
        assert data["partial_pay_cents"] == 10 * denomination


@pytest.mark.parametrize(("level", "kind"), [(0x40, "nonProgressive"), (0x80, "cancelledCredits")])
@pytest.mark.parametrize("denomination", [1, 5, 100])
def test_other_handpay_amounts_are_credits(level: int, kind: str, denomination: int) -> None:
    event = one(identified(denomination).map(reply(0x51, handpay(level, 1_200, partial=3))))
    assert dict(event.data) == {
        "pending": True,
        "progressive_group": 1,
        "level": level,
        "handpay_type": kind,
        "amount_cents": 1_200 * denomination,
        "currency": "USD",
        "partial_pay_cents": 3 * denomination,
        "reset_id": 1,
    }
    assert dict(event.raw) == {
        "protocol": "sas",
        "code": 0x51,
        "longpoll": "1B",
        "data": handpay(level, 1_200, partial=3).encode().hex().upper(),
    }


def test_a_credit_handpay_without_a_denomination_stays_credits() -> None:
    data = dict(one(identified(None).map(reply(0x51, handpay(0x40, 1_200)))).data)
    assert data["amount_credits"] == 1_200
    assert data["denomination_unknown"] is True
    assert "amount_cents" not in data


def test_a_zero_handpay_reply_is_not_pending() -> None:
    data = dict(one(identified(1).map(reply(0x51, handpay(0, 0)))).data)
    assert data["pending"] is False
    assert data["handpay_type"] == "none"


def test_handpay_types() -> None:
    assert [handpay_type(v) for v in (0, 1, 0x20, 0x21, 0x40, 0x80, 0xFF)] == [
        "none", "progressive", "progressive", "other", "nonProgressive", "cancelledCredits",
        "other",
    ]  # fmt: skip


# --- tickets and bills --------------------------------------------------------------------

RECORD = ValidationRecord(
    validation_type=0, index=1, moment=datetime(2026, 11, 22, 10, 0, 5),
    validation_number=1234567890123456, amount_cents=2_500, ticket_number=7,
    system_id=0, expiration=30, pool_id=0,
)  # fmt: skip


@pytest.mark.parametrize("trigger", [0x3D, 0x3E])
def test_a_validation_record_is_ticket_details(trigger: int) -> None:
    event = one(mapper().map(reply(trigger, RECORD)))
    assert (event.event, event.channel) == ("validationDetailsRead", Channel.CASH)
    assert dict(event.data) == {
        "validation_type": 0,
        "index": 1,
        "validation_number": "1234567890123456",
        "ticket_number": 7,
        "system_id": 0,
        "expiration": 30,
        "pool_id": 0,
        "recorded_at": "2026-11-22T10:00:05",
        "amount_cents": 2_500,
        "currency": "USD",
    }
    assert event.machine_time is None
    assert event.raw["code"] == trigger
    assert event.raw["longpoll"] == "4D"


def test_a_short_validation_number_keeps_its_sixteen_digits() -> None:
    record = ValidationRecord(
        validation_type=0, index=1, moment=datetime(2026, 1, 2, 3, 4, 5), validation_number=42,
        amount_cents=1, ticket_number=0, system_id=0, expiration=0, pool_id=0,
    )  # fmt: skip
    assert one(mapper().map(reply(0x3D, record))).data["validation_number"] == "0000000000000042"


def test_last_bill_is_bill_details() -> None:
    bill = LastBill(country=37, bill_code=0x07, count=3)
    event = one(mapper().map(reply(0x4C, bill)))
    assert (event.event, event.channel) == ("billDetailsRead", Channel.CASH)
    assert dict(event.data) == {
        "amount_cents": 10_000,
        "currency": "USD",
        "country": 37,
        "bill_code": 7,
        "bill_count": 3,
    }
    assert dict(event.raw) == {
        "protocol": "sas",
        "code": 0x4C,
        "longpoll": "48",
        "data": "37070000" + "0003",
    }


@pytest.mark.parametrize(
    ("kind", "name", "pending"),
    [(0x00, "cashable", True), (0x01, "restrictedPromo", True), (0x80, "notWaiting", False),
     (0x05, "other", True)],
)  # fmt: skip
def test_the_cashout_ticket_is_cashout_details(kind: int, name: str, pending: bool) -> None:
    event = one(mapper().map(reply(0x57, CashoutTicket(cashout_type=kind, amount_cents=1_999))))
    assert (event.event, event.channel) == ("cashoutDetailsRead", Channel.CASH)
    assert dict(event.data) == {
        "cashout_type": name,
        "cashout_type_code": kind,
        "pending": pending,
        "amount_cents": 1_999,
        "currency": "USD",
    }
    assert event.raw["longpoll"] == "57"


@pytest.mark.parametrize(("status", "name"), [(0x00, "inEscrow"), (0xFF, "none"), (0x01, "other")])
def test_the_ticket_in_escrow_is_ticket_in_details(status: int, name: str) -> None:
    ticket = TicketData(
        status=status,
        amount_cents=5_000,
        parsing_code=0,
        validation_data=bytes.fromhex("001234567890123456"),
    )
    event = one(mapper().map(reply(0x67, ticket)))
    assert (event.event, event.channel) == ("ticketInDetailsRead", Channel.CASH)
    assert dict(event.data) == {
        "status": name,
        "status_code": status,
        "parsing_code": 0,
        "validation_number": "001234567890123456",
        "amount_cents": 5_000,
        "currency": "USD",
    }
    assert event.raw["longpoll"] == "70"


def test_details_carry_the_meter_snapshot() -> None:
    m = identified(1)
    m.map(meters_read({0x00: 7}))
    assert one(m.map(reply(0x57, CashoutTicket(cashout_type=0, amount_cents=1)))).meters == {
        "coin_in_cents": 7
    }


# --- other replies: the long poll comes from the reply or from the trigger ------------------


def test_an_undecoded_reply_names_its_own_long_poll() -> None:
    event = one(mapper().map(reply(0x51, RawReply(command=0x1B, data=b"\x01\x02"))))
    assert (event.event, event.channel) == ("serviceDetailsRead", Channel.SYSTEM)
    assert dict(event.raw) == {"protocol": "sas", "code": 0x51, "longpoll": "1B", "data": "0102"}


def test_an_unexpected_reply_takes_the_long_poll_of_its_trigger() -> None:
    clock_reply = DateTime(moment=datetime(2026, 1, 1))
    assert long_poll_of(0x57, clock_reply) == 0x57
    assert long_poll_of(0x3D, clock_reply) == 0x4D
    event = one(mapper().map(reply(0x00, clock_reply)))
    assert event.raw["longpoll"] == ""  # nothing tells: the key is still there


# --- ROM signature -------------------------------------------------------------------------


def test_a_rom_signature_is_reported_with_its_long_poll_and_no_code() -> None:
    event = one(mapper().map(RomSignatureReported(address=1, signature=0xBEEF, gate=4)))
    assert (event.event, event.channel) == ("romSignatureReported", Channel.SYSTEM)
    assert dict(event.data) == {"signature": "BEEF"}
    assert dict(event.raw) == {"protocol": "sas", "longpoll": "21", "data": "EFBE"}


# --- what the ledger comparison sees --------------------------------------------------------


def test_only_exception_born_events_are_compared_with_the_ledger() -> None:
    m = identified(1)
    events = [
        *m.map(exception(0x51)),
        *m.map(reply(0x51, handpay(0x40, 100))),
        *m.map(exception(0x4A)),
        *m.map(reply(0x4A, LastBill(country=37, bill_code=4, count=1))),
        *m.map(RomSignatureReported(address=1, signature=1, gate=5)),
        *m.map(meters_read({0x00: 1})),
        *m.map(exception(0xE7)),
    ]
    docs = [envelope(event, seq) for seq, event in enumerate(events, start=1)]
    compared = upstream_from_json(docs)
    assert [(e.code, e.event) for e in compared] == [
        (0x51, "handpayPending"),
        (0x4A, "billAccepted"),
        (0xE7, "unknownException"),
    ]
    assert {e.machine for e in compared} == {"Slot-A12"}


messages = st.sampled_from(sorted(MESSAGES_BY_COMMAND)).flatmap(MESSAGES_BY_COMMAND.__getitem__)


@PROPERTY_SETTINGS
@given(
    trigger=st.integers(min_value=0, max_value=0xFF),
    message=messages,
    denomination=st.sampled_from([None, 1, 5, 100]),
)
def test_any_service_reply_is_one_details_event_with_a_long_poll(
    trigger: int, message: Message, denomination: int | None
) -> None:
    event = one(identified(denomination).map(reply(trigger, message)))
    assert event.raw["code"] == trigger
    assert "longpoll" in event.raw
    assert event.raw["data"] == message.encode().hex().upper()
    assert upstream_from_json([envelope(event)]) == []
