"""How a simulated machine reports its events in SAS (reference §4, §3.12).

``sas_report`` maps a protocol-neutral ``MachineEvent`` to the exception
code a SAS machine raises and, in real-time event mode, the data that
follows the code in the ``addr FF code data CRC`` frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.sas import LastBill, encode_bcd

from ..events import Door, Kind, MachineEvent, Tilt

DOOR_CODES: dict[Door, tuple[int, int]] = {
    Door.SLOT: (0x11, 0x12),
    Door.DROP: (0x13, 0x14),
    Door.CARD_CAGE: (0x15, 0x16),
    Door.CASHBOX: (0x19, 0x1A),
    Door.BELLY: (0x1D, 0x1E),
}

TILT_CODES: dict[Tilt, int] = {
    Tilt.GENERAL: 0x20,
    Tilt.COIN_IN: 0x21,
    Tilt.HOPPER_EMPTY: 0x23,
    Tilt.REEL: 0x40,
    Tilt.BILL_JAM: 0x28,
    Tilt.PRINTER_PAPER_OUT: 0x61,
    Tilt.PRINTER_COMMUNICATION: 0x60,
}

BILL_CODES: dict[int, int] = {1: 0x47, 5: 0x48, 10: 0x49, 20: 0x4A, 50: 0x4B, 100: 0x4C, 2: 0x4D}
BILL_CODES |= {500: 0x4E, 200: 0x50}
"""Non-RTE exception per note; any other note is 4F."""

BILL_DENOMINATION_CODES: dict[int, int] = {
    1: 0x00, 2: 0x01, 5: 0x02, 10: 0x03, 20: 0x04, 25: 0x05, 50: 0x06, 100: 0x07,
    200: 0x08, 250: 0x09, 500: 0x10, 1000: 0x11,
}  # fmt: skip
"""Table C-6 bill codes, BCD-encoded from 0x10 as in the reference's EGM source."""

COUNTRY_USA = 37

SIMPLE_CODES: dict[Kind, int] = {
    Kind.CASHBOX_REMOVED: 0x1B,
    Kind.CASHBOX_INSTALLED: 0x1C,
    Kind.HANDPAY_PENDING: 0x51,
    Kind.HANDPAY_RESET: 0x52,
    Kind.TICKET_PRINTED: 0x3D,
    Kind.TICKET_INSERTED: 0x67,
    Kind.TICKET_REDEEMED: 0x68,
    Kind.POWER_LOST: 0x18,
    Kind.POWER_APPLIED: 0x17,
    Kind.PLAYER_CARD_INSERTED: 0x9E,
    Kind.PLAYER_CARD_REMOVED: 0x9F,
    Kind.CASHOUT_PRESSED: 0x66,
    Kind.METERS_RESET: 0x7A,
    Kind.OPTIONS_CHANGED: 0x3C,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SasReport:
    """The exception code for an event and its RTE data (empty when none)."""

    code: int
    rte_data: bytes = b""


def _int(event: MachineEvent, key: str) -> int:
    value = event.data.get(key, 0)
    return value if isinstance(value, int) else int(value)


def sas_report(event: MachineEvent, *, bill_count: int = 0) -> SasReport:
    """The SAS exception (and RTE data) a machine raises for ``event``."""
    kind = event.kind
    if kind is Kind.GAME_STARTED:
        wager = min(_int(event, "wager_credits"), 9999)
        coin_in = _int(event, "coin_in") % 10**8
        return SasReport(
            code=0x7E, rte_data=encode_bcd(wager, 2) + encode_bcd(coin_in, 4) + b"\0\0"
        )
    if kind is Kind.GAME_ENDED:
        return SasReport(code=0x7F, rte_data=encode_bcd(_int(event, "win_credits") % 10**8, 4))
    if kind is Kind.BILL_ACCEPTED:
        dollars = _int(event, "dollars")
        bill = LastBill(
            country=COUNTRY_USA,
            bill_code=BILL_DENOMINATION_CODES.get(dollars, 0xFF),
            count=bill_count % 10**8,
        )
        return SasReport(code=BILL_CODES.get(dollars, 0x4F), rte_data=bill.encode())
    if kind in (Kind.DOOR_OPENED, Kind.DOOR_CLOSED):
        opened, closed = DOOR_CODES[Door(event.data["door"])]
        return SasReport(code=opened if kind is Kind.DOOR_OPENED else closed)
    if kind is Kind.TILT:
        return SasReport(code=TILT_CODES[Tilt(event.data["tilt"])])
    return SasReport(code=SIMPLE_CODES[kind])


def rte_code(report: SasReport) -> int:
    """In RTE mode every bill is reported as 4F with data (reference §3.6)."""
    return 0x4F if 0x47 <= report.code <= 0x50 else report.code
