"""Money-carrying replies: handpays, bills and tickets.

::

    1B  | addr | 1B | group(1) level(1) amount(5 BCD) partial(2 BCD) resetID(1)
                      sessionWin(5 BCD) sessionPay(5 BCD) | CRC |         24 bytes
    94  | addr | 94 | code(1) | CRC |     A8 | addr | A8 | code(1) | CRC |
    48  | addr | 48 | country(1 BCD) billCode(1) count(4 BCD) | CRC |   10 bytes
    4D  | addr | 4D | type index date(4) time(3) validation#(8 BCD) amount(5 BCD c)
                      ticket#(2) systemID(1 BCD) expiry(4 BCD) pool(2) | CRC |  35 bytes
    57  | addr | 57 | cashoutType(1) amount(5 BCD c) | CRC |             10 bytes
    70  | addr | 70 | len | status(1) amount(5 BCD c) parsing(1) validation data | CRC |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import bcd
from .fields import Reader, date_time_field

PROGRESSIVE_LEVELS = range(0x01, 0x21)
LEVEL_NON_PROGRESSIVE = 0x40
LEVEL_CANCELLED_CREDITS = 0x80


@dataclass(frozen=True, slots=True, kw_only=True)
class HandpayInfo:
    """LP 1B. ``amount`` is in cents for a progressive level, in credits otherwise."""

    progressive_group: int
    level: int
    amount: int
    partial_pay: int
    reset_id: int
    session_win: int = 0
    session_pay: int = 0

    @property
    def amount_in_cents(self) -> bool:
        return self.level in PROGRESSIVE_LEVELS

    @property
    def pending(self) -> bool:
        """False when the machine answered with zeros (no handpay locked up)."""
        return self.level != 0 or self.amount != 0

    def encode(self) -> bytes:
        return (
            bytes([self.progressive_group, self.level])
            + bcd.encode(self.amount, 5)
            + bcd.encode(self.partial_pay, 2)
            + bytes([self.reset_id])
            + bcd.encode(self.session_win, 5)
            + bcd.encode(self.session_pay, 5)
        )

    @classmethod
    def decode(cls, command: int, data: bytes) -> HandpayInfo:
        reader = Reader(data)
        message = cls(
            progressive_group=reader.byte(),
            level=reader.byte(),
            amount=reader.bcd(5),
            partial_pay=reader.bcd(2),
            reset_id=reader.byte(),
            session_win=reader.bcd(5),
            session_pay=reader.bcd(5),
        )
        reader.done()
        return message


HANDPAY_RESET_DONE = 0x00
HANDPAY_RESET_UNABLE = 0x01
HANDPAY_RESET_NOT_IN_HANDPAY = 0x02


@dataclass(frozen=True, slots=True, kw_only=True)
class HandpayResetResult:
    """LP 94 / A8 reply: 00 done, 01 unable, 02 not in handpay."""

    command: int
    code: int

    def encode(self) -> bytes:
        return bytes([self.code])

    @classmethod
    def decode(cls, command: int, data: bytes) -> HandpayResetResult:
        reader = Reader(data)
        code = reader.byte()
        reader.done()
        return cls(command=command, code=code)


BILL_CODE_DOLLARS: tuple[int, ...] = (
    1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000,
    20000, 25000, 50000, 100000, 200000, 250000, 500000, 1000000,
)  # fmt: skip
"""Bill denomination codes (Table C-6), by index."""


def bill_dollars(code: int) -> int | None:
    """Dollar value of a bill code, ``None`` when unknown.

    Sources disagree for codes from 0x0A up (reference §3.6): 0x0A-0x0F can
    only be binary indexes, BCD-valid codes from 0x10 are read as BCD.
    """
    index = bcd.decode(bytes([code])) if bcd.is_valid(bytes([code])) else code
    return BILL_CODE_DOLLARS[index] if index < len(BILL_CODE_DOLLARS) else None


COUNTRY_USA = 0x37


@dataclass(frozen=True, slots=True, kw_only=True)
class LastBill:
    """LP 48 (and the data of RTE event 4F without the header): the last bill accepted."""

    country: int  # BCD-decoded country code (37 = USA)
    bill_code: int
    count: int

    @property
    def dollars(self) -> int | None:
        return bill_dollars(self.bill_code)

    def encode(self) -> bytes:
        return bcd.encode(self.country, 1) + bytes([self.bill_code]) + bcd.encode(self.count, 4)

    @classmethod
    def decode(cls, command: int, data: bytes) -> LastBill:
        reader = Reader(data)
        message = cls(country=reader.bcd(1), bill_code=reader.byte(), count=reader.bcd(4))
        reader.done()
        return message


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationRecord:
    """LP 4D: one validation (ticket / handpay receipt) record; amounts in cents."""

    validation_type: int
    index: int
    moment: datetime
    validation_number: int  # 16 BCD digits
    amount_cents: int
    ticket_number: int
    system_id: int
    expiration: int  # 4 BCD: MMDDYYYY or a number of days
    pool_id: int

    def encode(self) -> bytes:
        return (
            bytes([self.validation_type, self.index])
            + date_time_field(self.moment)
            + bcd.encode(self.validation_number, 8)
            + bcd.encode(self.amount_cents, 5)
            + self.ticket_number.to_bytes(2, "little")
            + bcd.encode(self.system_id, 1)
            + bcd.encode(self.expiration, 4)
            + self.pool_id.to_bytes(2, "little")
        )

    @classmethod
    def decode(cls, command: int, data: bytes) -> ValidationRecord:
        reader = Reader(data)
        message = cls(
            validation_type=reader.byte(),
            index=reader.byte(),
            moment=reader.date_time(),
            validation_number=reader.bcd(8),
            amount_cents=reader.bcd(5),
            ticket_number=reader.binary(2),
            system_id=reader.bcd(1),
            expiration=reader.bcd(4),
            pool_id=reader.binary(2),
        )
        reader.done()
        return message


CASHOUT_CASHABLE = 0x00
CASHOUT_RESTRICTED = 0x01
CASHOUT_NOT_WAITING = 0x80


@dataclass(frozen=True, slots=True, kw_only=True)
class CashoutTicket:
    """LP 57: the pending cash-out ticket (type 80 = none waiting); amount in cents."""

    cashout_type: int
    amount_cents: int

    def encode(self) -> bytes:
        return bytes([self.cashout_type]) + bcd.encode(self.amount_cents, 5)

    @classmethod
    def decode(cls, command: int, data: bytes) -> CashoutTicket:
        reader = Reader(data)
        message = cls(cashout_type=reader.byte(), amount_cents=reader.bcd(5))
        reader.done()
        return message


TICKET_IN_ESCROW = 0x00
TICKET_NONE = 0xFF


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketData:
    """LP 70: the ticket in escrow (status FF = none); amount in cents."""

    status: int
    amount_cents: int
    parsing_code: int
    validation_data: bytes

    @property
    def validation_number(self) -> str:
        """The validation data as digits when it is BCD (parsing code 00), else hex."""
        if self.parsing_code == 0 and bcd.is_valid(self.validation_data):
            return self.validation_data.hex()
        return self.validation_data.hex().upper()

    def encode(self) -> bytes:
        return (
            bytes([self.status])
            + bcd.encode(self.amount_cents, 5)
            + bytes([self.parsing_code])
            + self.validation_data
        )

    @classmethod
    def decode(cls, command: int, data: bytes) -> TicketData:
        reader = Reader(data)
        return cls(
            status=reader.byte(),
            amount_cents=reader.bcd(5),
            parsing_code=reader.byte(),
            validation_data=reader.rest(),
        )
