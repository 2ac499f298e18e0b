"""The general-poll exception table (reference §4).

Each known code carries its name, category, whether it is a priority
exception (a flag re-reported until serviced, not a FIFO entry) and how many
data bytes follow it in a real-time event frame (``addr FF code data CRC``).
Unknown codes are never rejected: ``lookup`` returns ``None`` and callers
keep the raw byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExceptionCode(IntEnum):
    """Named exception codes the session itself reacts to."""

    NO_ACTIVITY = 0x00
    AC_POWER_APPLIED = 0x17
    NO_ACTIVITY_WAITING = 0x1F
    NVRAM_RECOVERED = 0x31
    NVRAM_NOT_RECOVERED = 0x32
    NVRAM_BAD_DEVICE = 0x33
    EEPROM_DATA_ERROR = 0x34
    EEPROM_BAD_DEVICE = 0x35
    MEMORY_ERROR_RESET = 0x3A
    OPERATOR_CHANGED_OPTIONS = 0x3C
    CASHOUT_TICKET_PRINTED = 0x3D
    HANDPAY_VALIDATED = 0x3E
    BILL_ACCEPTED = 0x4F
    HANDPAY_PENDING = 0x51
    HANDPAY_RESET = 0x52
    SYSTEM_VALIDATION_REQUEST = 0x57
    TICKET_INSERTED = 0x67
    BUFFER_OVERFLOW = 0x70
    SOFT_METERS_RESET = 0x7A
    GAME_STARTED = 0x7E
    GAME_ENDED = 0x7F
    ENABLED_GAMES_CHANGED = 0xA2


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionInfo:
    """What the reference knows about one exception code."""

    code: int
    name: str
    category: str
    priority: bool
    rte_data_length: int


def _row(code: int, name: str, category: str, *, pri: bool = False, rte: int = 0) -> ExceptionInfo:
    return ExceptionInfo(code=code, name=name, category=category, priority=pri, rte_data_length=rte)


_ROWS = (
    _row(0x00, "no activity", "idle"),
    _row(0x11, "slot door opened", "door"),
    _row(0x12, "slot door closed", "door"),
    _row(0x13, "drop door opened", "door"),
    _row(0x14, "drop door closed", "door"),
    _row(0x15, "card cage opened", "door"),
    _row(0x16, "card cage closed", "door"),
    _row(0x17, "AC power applied", "power"),
    _row(0x18, "AC power lost", "power"),
    _row(0x19, "cashbox door opened", "door"),
    _row(0x1A, "cashbox door closed", "door"),
    _row(0x1B, "cashbox removed", "door"),
    _row(0x1C, "cashbox installed", "door"),
    _row(0x1D, "belly door opened", "door"),
    _row(0x1E, "belly door closed", "door"),
    _row(0x1F, "no activity, waiting for player", "idle"),
    _row(0x20, "general tilt", "tilt"),
    _row(0x21, "coin-in tilt", "tilt"),
    _row(0x22, "coin-out tilt", "tilt"),
    _row(0x23, "hopper empty", "tilt"),
    _row(0x24, "extra coin paid", "tilt"),
    _row(0x25, "diverter malfunction", "tilt"),
    _row(0x27, "cashbox full", "bill"),
    _row(0x28, "bill jam", "bill"),
    _row(0x29, "bill acceptor hardware failure", "bill"),
    _row(0x2A, "reverse bill detected", "bill"),
    _row(0x2B, "bill rejected", "bill"),
    _row(0x2C, "counterfeit bill detected", "bill"),
    _row(0x2D, "reverse coin-in detected", "coin"),
    _row(0x2E, "cashbox near full", "bill"),
    _row(0x2F, "bill acceptor version changed", "bill"),
    _row(0x31, "NVRAM error, data recovered from EEPROM", "memory"),
    _row(0x32, "NVRAM error, no data recovered", "memory"),
    _row(0x33, "NVRAM error, bad device", "memory"),
    _row(0x34, "EEPROM error (data)", "memory"),
    _row(0x35, "EEPROM error (bad device)", "memory"),
    _row(0x36, "EPROM error: checksum changed", "memory"),
    _row(0x37, "EPROM error: bad checksum compare", "memory"),
    _row(0x38, "partitioned EPROM error: version changed", "memory"),
    _row(0x39, "partitioned EPROM error: bad checksum", "memory"),
    _row(0x3A, "memory error reset", "memory"),
    _row(0x3B, "low backup battery", "hardware"),
    _row(0x3C, "operator changed options", "config"),
    _row(0x3D, "cash-out ticket printed", "tito", pri=True),
    _row(0x3E, "handpay validated", "tito", pri=True),
    _row(0x3F, "validation ID not configured", "tito", pri=True),
    _row(0x40, "reel tilt", "tilt"),
    _row(0x41, "reel 1 tilt", "tilt"),
    _row(0x42, "reel 2 tilt", "tilt"),
    _row(0x43, "reel 3 tilt", "tilt"),
    _row(0x44, "reel 4 tilt", "tilt"),
    _row(0x45, "reel 5 tilt", "tilt"),
    _row(0x46, "reel mechanism disconnected", "tilt"),
    _row(0x47, "$1 bill accepted", "bill"),
    _row(0x48, "$5 bill accepted", "bill"),
    _row(0x49, "$10 bill accepted", "bill"),
    _row(0x4A, "$20 bill accepted", "bill"),
    _row(0x4B, "$50 bill accepted", "bill"),
    _row(0x4C, "$100 bill accepted", "bill"),
    _row(0x4D, "$2 bill accepted", "bill"),
    _row(0x4E, "$500 bill accepted", "bill"),
    _row(0x4F, "bill accepted", "bill", rte=6),
    _row(0x50, "$200 bill accepted", "bill"),
    _row(0x51, "handpay pending", "handpay", pri=True),
    _row(0x52, "handpay was reset", "handpay", pri=True),
    _row(0x53, "no progressive information for 5 s", "progressive"),
    _row(0x54, "progressive win (machine paid)", "progressive"),
    _row(0x55, "player cancelled handpay request", "handpay"),
    _row(0x56, "SAS progressive level hit", "progressive", pri=True),
    _row(0x57, "system validation request", "tito", pri=True),
    _row(0x59, "non-SAS progressive level hit", "progressive"),
    _row(0x5A, "jackpot handpay keyed off to machine pay", "handpay"),
    _row(0x5F, "tip awarded", "misc"),
    _row(0x60, "printer communication error", "printer"),
    _row(0x61, "printer paper out", "printer"),
    _row(0x66, "cash-out button pressed", "game"),
    _row(0x67, "ticket inserted", "tito", pri=True),
    _row(0x68, "ticket transfer complete", "tito", pri=True),
    _row(0x69, "AFT transfer complete", "aft", pri=True),
    _row(0x6A, "AFT request for host cash-out", "aft", pri=True),
    _row(0x6B, "AFT request for host to cash out win", "aft", pri=True),
    _row(0x6C, "AFT request to register", "aft", pri=True),
    _row(0x6D, "AFT registration acknowledged", "aft", pri=True),
    _row(0x6E, "AFT registration cancelled", "aft"),
    _row(0x6F, "game locked", "aft", pri=True),
    _row(0x70, "exception buffer overflow", "system", pri=True),
    _row(0x71, "change lamp on", "attendant"),
    _row(0x72, "change lamp off", "attendant"),
    _row(0x74, "printer paper low", "printer"),
    _row(0x75, "printer power off", "printer"),
    _row(0x76, "printer power on", "printer"),
    _row(0x77, "replace printer ribbon", "printer"),
    _row(0x78, "printer carriage jammed", "printer"),
    _row(0x79, "coin-in lockout malfunction", "coin"),
    _row(0x7A, "soft meters reset to zero", "meters"),
    _row(0x7B, "bill validator period totals reset", "bill"),
    _row(0x7C, "legacy bonus awarded / multiplied jackpot", "bonus", rte=10),
    _row(0x7E, "game started", "game", rte=8),
    _row(0x7F, "game ended", "game", rte=4),
    _row(0x80, "hopper full", "hopper"),
    _row(0x81, "hopper level low", "hopper"),
    _row(0x82, "attendant menu entered", "operator"),
    _row(0x83, "attendant menu exited", "operator"),
    _row(0x84, "self-test / operator menu entered", "operator"),
    _row(0x85, "self-test / operator menu exited", "operator"),
    _row(0x86, "out of service", "operator"),
    _row(0x87, "player requested draw cards", "game"),
    _row(0x88, "reel stopped", "game", rte=2),
    _row(0x89, "coin/credit wagered", "game"),
    _row(0x8A, "game recall entry displayed", "game", rte=4),
    _row(0x8B, "card held / not held", "game", rte=1),
    _row(0x8C, "game selected", "game", rte=2),
    _row(0x8E, "component list changed", "authentication"),
    _row(0x8F, "authentication complete", "authentication", pri=True),
    _row(0x98, "power-off card cage access", "door"),
    _row(0x99, "power-off slot door access", "door"),
    _row(0x9A, "power-off cashbox door access", "door"),
    _row(0x9B, "power-off drop door access", "door"),
    _row(0x9E, "session start", "session"),
    _row(0x9F, "session end", "session"),
    _row(0xA0, "meter change pending", "meters"),
    _row(0xA1, "meter change cancelled", "meters"),
    _row(0xA2, "enabled games / denoms changed", "config"),
)

EXCEPTIONS: dict[int, ExceptionInfo] = {row.code: row for row in _ROWS}

IDLE_CODES = frozenset({0x00, 0x1F})


def lookup(code: int) -> ExceptionInfo | None:
    """Return the table row for ``code``, or ``None`` for an unknown code."""
    return EXCEPTIONS.get(code)


def rte_data_length(code: int) -> int:
    """Data bytes after ``code`` in a real-time event frame (0 when unknown)."""
    info = EXCEPTIONS.get(code)
    return 0 if info is None else info.rte_data_length
