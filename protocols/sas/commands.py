"""Long-poll command codes and the length tables that frame them.

SAS frames carry no delimiter, so both sides need tables: the machine needs
the total length of each host request (reference §3.15), the host needs the
shape of each reply (an ACK byte, a fixed length, or a length byte). The
tables here are the defaults; vendor variations are handled by passing a
modified copy to the deframer or the machine-side parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class LongPoll(IntEnum):
    """Long-poll command bytes with a name in this code base."""

    SHUTDOWN = 0x01
    STARTUP = 0x02
    SOUND_OFF = 0x03
    SOUND_ON = 0x04
    ENABLE_BILL_ACCEPTOR = 0x06
    DISABLE_BILL_ACCEPTOR = 0x07
    CONFIGURE_BILLS = 0x08
    ENABLE_GAME = 0x09
    REAL_TIME_EVENTS = 0x0E
    METERS_0F = 0x0F
    CANCELLED_CREDITS = 0x10
    COIN_IN = 0x11
    COIN_OUT = 0x12
    DROP = 0x13
    JACKPOT = 0x14
    GAMES_PLAYED = 0x15
    GAMES_WON = 0x16
    GAMES_LOST = 0x17
    GAMES_SINCE = 0x18
    METERS_19 = 0x19
    CURRENT_CREDITS = 0x1A
    HANDPAY_INFO = 0x1B
    METERS_1C = 0x1C
    BILL_COUNTS = 0x1E
    GAME_CONFIGURATION = 0x1F
    ROM_SIGNATURE = 0x21
    SELECTED_METERS = 0x2F
    LAST_BILL = 0x48
    VALIDATION_INFO = 0x4D
    GAME_COUNT = 0x51
    GAME_METERS = 0x52
    GAME_N_CONFIGURATION = 0x53
    VERSION_SERIAL = 0x54
    SELECTED_GAME = 0x55
    ENABLED_GAMES = 0x56
    CASHOUT_TICKET = 0x57
    TICKET_DATA = 0x70
    AFT_TRANSFER = 0x72
    AFT_LOCK_STATUS = 0x74
    DATE_TIME = 0x7E
    SET_DATE_TIME = 0x7F
    HANDPAY_RESET = 0x94
    FEATURES = 0xA0
    HANDPAY_RESET_METHOD = 0xA8
    EXTENDED_METERS = 0x6F
    EXTENDED_METERS_ALT = 0xAF


class PollType(Enum):
    """How a host long poll is framed (reference §1.5)."""

    R = "R"  # addr cmd, no CRC
    S = "S"  # addr cmd [len] data CRC
    G = "G"  # 00 cmd [len] data CRC, nobody answers


VARIABLE_REQUESTS = frozenset(
    {0x2F, 0x6E, 0x6F, 0xAF, 0x71, 0x72, 0x73, 0x75, 0x76, 0x7A, 0x7B, 0x7C, 0x7D, 0x86, 0xB0, 0xB7}
)
"""Host requests that carry a length byte after the command."""


def _lengths() -> dict[int, int]:
    table: dict[int, int] = {}
    groups: dict[int, list[int]] = {
        4: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0A, 0x0B, 0x94],
        5: [0x0E, 0x4D, 0x50, 0xA8, 0xAA],
        6: [33, 45, 46, 82, 83, 131, 149, 150, 151, 152, 153, 154, 160, 164, 181, 182],
        7: [0x09],
        8: [0x74, 0xB4],
        9: [0x08, 0x8A, 0x77],
        10: [0x4C],
        11: [0x7F, 0x80],
        13: [0x58, 0x8C],
        15: [0x8B],
    }
    for length, commands in groups.items():
        for command in commands:
            table[command] = length
    return table


REQUEST_LENGTHS: dict[int, int] = _lengths()
"""Total length (address to CRC) of fixed-length host requests other than Type R."""

BROADCAST_COMMANDS = frozenset({0x75, 0x7A, 0x7B, 0x7C, 0x7D, 0x7F, 0x80, 0x86})


def request_length(command: int) -> int | None:
    """Total length of a host request for ``command``; ``None`` when variable.

    Every command not in the tables is Type R (two bytes), as in the EGM-side
    table the reference was taken from.
    """
    if command in VARIABLE_REQUESTS:
        return None
    return REQUEST_LENGTHS.get(command, 2)


def poll_type(command: int, address: int) -> PollType:
    """The framing of a host long poll to ``address``."""
    if address == 0:
        return PollType.G
    if command not in VARIABLE_REQUESTS and request_length(command) == 2:
        return PollType.R
    return PollType.S


class ReplyKind(Enum):
    """How a machine answers a long poll."""

    ACK = "ack"  # one byte, the address
    FIXED = "fixed"  # addr cmd data CRC, total length known
    VARIABLE = "variable"  # addr cmd len data CRC


@dataclass(frozen=True, slots=True)
class ReplyShape:
    """The expected reply to one long-poll command."""

    kind: ReplyKind
    length: int = 0  # total frame length for FIXED


ACK = ReplyShape(ReplyKind.ACK)
VARIABLE = ReplyShape(ReplyKind.VARIABLE)


def _fixed(length: int) -> ReplyShape:
    return ReplyShape(ReplyKind.FIXED, length)


def _reply_shapes() -> dict[int, ReplyShape]:
    shapes: dict[int, ReplyShape] = {}
    for command in (0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0E):
        shapes[command] = ACK
    for command in (0x21, 0x2E, 0x7F, 0x8A, 0xAA):
        shapes[command] = ACK
    single_meters = [*range(0x10, 0x18), 0x1A, 0x20, 0x2A, 0x2B, 0x2C, *range(0x31, 0x46)]
    for command in [*single_meters, 0x46, 0x47, 0x49, 0x4A, 0x18]:
        shapes[command] = _fixed(8)
    for command in (0x2F, 0x54, 0x56, 0x6F, 0xAF, 0x70, 0x71, 0x72, 0x73, 0x74, 0x7B, 0xB2, 0xB5):
        shapes[command] = VARIABLE
    fixed = {
        0x0F: 28,
        0x19: 24,
        0x1B: 24,
        0x1C: 36,
        0x1E: 28,
        0x1F: 24,
        0x2D: 10,
        0x3D: 13,
        0x48: 10,
        0x4C: 10,
        0x4D: 35,
        0x50: 14,
        0x51: 6,
        0x52: 22,
        0x53: 26,
        0x55: 6,
        0x57: 10,
        0x58: 5,
        0x7E: 11,
        0x83: 10,
        0x90: 14,
        0x94: 5,
        0x9A: 18,
        0xA0: 12,
        0xA4: 10,
        0xA8: 5,
        0xB1: 5,
        0xB3: 5,
    }
    for command, length in fixed.items():
        shapes[command] = _fixed(length)
    return shapes


REPLY_SHAPES: dict[int, ReplyShape] = _reply_shapes()
"""Default reply shape of every long poll the host knows how to read."""

ROM_SIGNATURE_REPLY_LENGTH = 6  # addr 21 sig(2) CRC(2), in reply to a general poll
