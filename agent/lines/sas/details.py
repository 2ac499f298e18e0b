"""Details events: what a service long poll read after an exception (docs/events.md).

The host session services some exceptions with a long poll (51 -> 1B,
3D/3E -> 4D, 47-50 -> 48, 57 -> 57, 67 -> 70; ``session_plan.SERVICE_POLLS``)
and reports the reply as a ``ServiceReply``. Each becomes a *details* event
next to the exception's own event; ``raw.code`` is the exception that
triggered the read and ``raw.longpoll`` the long poll, which is how a
consumer joins the two and how the simulator's ledger comparison knows to
skip it (only exception-born events are compared).

Money follows reference §3.0: ticket and validation amounts are cents; the
LP 1B amount is cents for a progressive level (01-20) and credits
otherwise, and its partial pay is always credits.
"""

from __future__ import annotations

from typing import Any

from protocols.sas.messages import (
    CashoutTicket,
    HandpayInfo,
    LastBill,
    Message,
    RawReply,
    TicketData,
    ValidationRecord,
)
from protocols.sas.messages.cash import (
    CASHOUT_CASHABLE,
    CASHOUT_NOT_WAITING,
    CASHOUT_RESTRICTED,
    LEVEL_CANCELLED_CREDITS,
    LEVEL_NON_PROGRESSIVE,
    TICKET_IN_ESCROW,
    TICKET_NONE,
)
from protocols.sas.session_plan import SERVICE_POLLS

from .units import Money

_CASHOUT_TYPES = {
    CASHOUT_CASHABLE: "cashable",
    CASHOUT_RESTRICTED: "restrictedPromo",
    CASHOUT_NOT_WAITING: "notWaiting",
}
_TICKET_STATUS = {TICKET_IN_ESCROW: "inEscrow", TICKET_NONE: "none"}

_LONG_POLLS: dict[type, int] = {
    HandpayInfo: 0x1B,
    ValidationRecord: 0x4D,
    LastBill: 0x48,
    CashoutTicket: 0x57,
    TicketData: 0x70,
}


def long_poll_of(trigger: int, message: Message) -> int | None:
    """The long poll whose reply ``message`` is (``None`` if nothing tells)."""
    if isinstance(message, RawReply):
        return message.command
    command = _LONG_POLLS.get(type(message))
    if command is None and (build := SERVICE_POLLS.get(trigger)) is not None:
        command = build(1).command  # the poll the session sends for this trigger
    return command


def bill_data(bill: LastBill, money: Money) -> dict[str, Any]:
    """The data of a bill read by LP 48 or carried by RTE event 4F."""
    data: dict[str, Any] = {}
    dollars = bill.dollars
    if dollars is not None:
        money.cents(data, "amount", dollars * 100)
    data.update(country=bill.country, bill_code=bill.bill_code, bill_count=bill.count)
    return data


def handpay_type(level: int) -> str:
    """What an LP 1B level means: a progressive level, a plain win, cancelled credits."""
    if 0x01 <= level <= 0x20:
        return "progressive"
    if level == LEVEL_NON_PROGRESSIVE:
        return "nonProgressive"
    if level == LEVEL_CANCELLED_CREDITS:
        return "cancelledCredits"
    return "none" if level == 0 else "other"


def _handpay(info: HandpayInfo, money: Money) -> dict[str, Any]:
    data: dict[str, Any] = {
        "pending": info.pending,
        "progressive_group": info.progressive_group,
        "level": info.level,
        "handpay_type": handpay_type(info.level),
    }
    if info.amount_in_cents:  # reference §3.0, LP 1B caveat
        money.cents(data, "amount", info.amount)
    else:
        money.credits(data, "amount", info.amount)
    money.credits(data, "partial_pay", info.partial_pay)
    data["reset_id"] = info.reset_id
    return data


def _validation(record: ValidationRecord, money: Money) -> dict[str, Any]:
    data: dict[str, Any] = {
        "validation_type": record.validation_type,
        "index": record.index,
        "validation_number": f"{record.validation_number:016d}",
        "ticket_number": record.ticket_number,
        "system_id": record.system_id,
        "expiration": record.expiration,
        "pool_id": record.pool_id,
        # The machine's local clock, no zone (SAS has none): kept as written, not as
        # the envelope's machine_time, which is a UTC instant of the event itself.
        "recorded_at": record.moment.isoformat(),
    }
    money.cents(data, "amount", record.amount_cents)
    return data


def _cashout(ticket: CashoutTicket, money: Money) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cashout_type": _CASHOUT_TYPES.get(ticket.cashout_type, "other"),
        "cashout_type_code": ticket.cashout_type,
        "pending": ticket.cashout_type != CASHOUT_NOT_WAITING,
    }
    money.cents(data, "amount", ticket.amount_cents)
    return data


def _ticket_in(ticket: TicketData, money: Money) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": _TICKET_STATUS.get(ticket.status, "other"),
        "status_code": ticket.status,
        "parsing_code": ticket.parsing_code,
        "validation_number": ticket.validation_number,
    }
    money.cents(data, "amount", ticket.amount_cents)
    return data


def details(message: Message, money: Money) -> tuple[str, dict[str, Any]]:
    """The details event name and data for a service reply ``message``."""
    if isinstance(message, HandpayInfo):
        return "handpayDetailsRead", _handpay(message, money)
    if isinstance(message, ValidationRecord):
        return "validationDetailsRead", _validation(message, money)
    if isinstance(message, LastBill):
        return "billDetailsRead", bill_data(message, money)
    if isinstance(message, CashoutTicket):
        return "cashoutDetailsRead", _cashout(message, money)
    if isinstance(message, TicketData):
        return "ticketInDetailsRead", _ticket_in(message, money)
    return "serviceDetailsRead", {}
