"""Machine side: what a host long poll asks for, as a typed request message.

``decode_request`` turns a framed ``LongPollRequest`` (from ``machine``'s
``HostFrameParser``) into the small typed message for its command. It never
raises; the results are:

* a typed message for the polls the simulator understands (list below);
* ``Read(command)`` for any other type R poll (``addr cmd``, no data);
* ``RawRequest(command, data)`` for any other command: unknown is not
  invalid, and a real machine simply stays silent (reference §4.4);
* ``Fault(UNEXPECTED)`` when the data of a known command is invalid (wrong
  length, bad BCD, impossible date, a flag outside its values). A strict
  machine NACKs such a poll (reference §3.2: "any other value is NACKed").

Layouts decoded (after ``addr cmd``, without the length byte or CRC)::

    01 / 02      (nothing)                           disable / enable play
    03 / 04      (nothing)                           sound off / on
    06 / 07      (nothing)                           enable / disable the bill acceptor
    08           | bitmap(4, LSB first) | action(1) |  configure bill denominations
    09           | game(2 BCD) | 00 off / 01 on |    disable / enable a game
    0E           | 00 off / 01 on |                  real-time events
    21           | seed(2 LE) |                      start a ROM signature
    2F           | game(2 BCD) | code(1) x 1-10 |    selected meters
    6F / AF      | game(2 BCD) | code(2 LE) x 1-12 | extended meters
    2D 52 53 83 9A A0 A4 B5
                 | game(2 BCD) |                     one game's data
    4D           | function(1) |                     00 next, 01-1F index, FF peek
    72           | FF or FE | index(1) |             AFT interrogation (else raw)
    74           | lock(1) | conditions(1) | timeout(2 BCD, 1/100 s) |
    7F           | MMDDYYYY(4 BCD) | HHMMSS(3 BCD) | set the clock
    94           (nothing)                           remote handpay reset
    A8           | 00 standard / 01 to credit meter | handpay reset method
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .bills import bills_in
from .commands import VARIABLE_REQUESTS, LongPoll, request_length
from .frames import Fault, FaultKind
from .messages.fields import Malformed, Reader
from .requests import LongPollRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class EnablePlay:
    """LP 02: start-up, enable play."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DisablePlay:
    """LP 01: shut down, lock out play after the current game."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetSound:
    """LP 03 (off) or 04 (on): the machine's sounds."""

    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SetBillAcceptor:
    """LP 06 (enable) or 07 (disable) the bill acceptor."""

    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureBills:
    """LP 08: the notes the acceptor takes; ``stay_enabled`` False disables it after each."""

    dollars: tuple[int, ...]
    stay_enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class EnableGame:
    """LP 09: enable or disable game ``game``."""

    game: int
    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SetRealTimeEvents:
    """LP 0E: switch real-time event reporting on or off."""

    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StartRomSignature:
    """LP 21: compute a ROM signature from ``seed``; the result goes to a later general poll."""

    seed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadSelectedMeters:
    """LP 2F: 1-10 one-byte Table C-7 meter codes for ``game`` (0 = whole machine)."""

    game: int
    codes: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadExtendedMeters:
    """LP 6F or AF (``command``): 1-12 two-byte meter codes for ``game``."""

    command: int
    game: int
    codes: tuple[int, ...]

    @property
    def alternate(self) -> bool:
        """True for AF, the twin of 6F used for back-to-back meter polls."""
        return self.command == LongPoll.EXTENDED_METERS_ALT


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadGame:
    """A type M poll whose only data is a game number (A0, 53, 52, 2D ...)."""

    command: int
    game: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDateTime:
    """LP 7F: set the machine's clock (also sent as a broadcast to address 0)."""

    moment: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetHandpay:
    """LP 94: remote handpay reset."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetHandpayResetMethod:
    """LP A8: pay the next handpay reset standard (False) or to the credit meter (True)."""

    to_credit_meter: bool


VALIDATION_NEXT_UNREAD = 0x00
VALIDATION_LAST_INDEX = 0x1F
VALIDATION_PEEK = 0xFF


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadValidationInfo:
    """LP 4D: ``function`` 00 = next unread, 01-1F = buffer index, FF = peek."""

    function: int


AFT_LOCK_CODES = frozenset({0x00, 0x80, 0xFF})  # request lock, cancel lock, status only


@dataclass(frozen=True, slots=True, kw_only=True)
class AftLockOrStatus:
    """LP 74: ``lock_code`` 00 lock / 80 cancel / FF status; timeout in 1/100 s."""

    lock_code: int
    conditions: int
    timeout_cs: int


AFT_INTERROGATE = 0xFF
AFT_INTERROGATE_STATUS_ONLY = 0xFE


@dataclass(frozen=True, slots=True, kw_only=True)
class AftInterrogate:
    """LP 72 ``FF|FE idx``: 00 = current transfer, 01-7F absolute, 81-FF relative."""

    index: int
    status_only: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Read:
    """A type R poll (``addr cmd``) without a typed message of its own."""

    command: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RawRequest:
    """A poll this module does not decode (unknown command, or another LP 72 form)."""

    command: int
    data: bytes


RequestMessage = (
    EnablePlay
    | DisablePlay
    | SetSound
    | SetBillAcceptor
    | ConfigureBills
    | EnableGame
    | SetRealTimeEvents
    | StartRomSignature
    | ReadSelectedMeters
    | ReadExtendedMeters
    | ReadGame
    | SetDateTime
    | ResetHandpay
    | SetHandpayResetMethod
    | ReadValidationInfo
    | AftLockOrStatus
    | AftInterrogate
    | Read
    | RawRequest
)

GAME_POLLS = frozenset({0x2D, 0x52, 0x53, 0x83, 0x9A, 0xA0, 0xA4, 0xB5})
"""Type M polls whose data is only the game number (reference §3.3, §3.4)."""


def _flag(reader: Reader, what: str) -> bool:
    value = reader.byte()
    if value > 1:
        raise Malformed(f"{what} 0x{value:02X}, expected 00 or 01")
    return bool(value)


def _codes(reader: Reader, size: int, most: int) -> tuple[int, ...]:
    if reader.remaining % size:
        raise Malformed(f"{reader.remaining} code bytes, not a multiple of {size}")
    codes = tuple(reader.binary(size) for _ in range(reader.remaining // size))
    if not 1 <= len(codes) <= most:
        raise Malformed(f"{len(codes)} meter codes, expected 1 to {most}")
    return codes


def _decode(command: int, reader: Reader) -> RequestMessage:
    if command == LongPoll.STARTUP:
        return EnablePlay()
    if command == LongPoll.SHUTDOWN:
        return DisablePlay()
    if command in (LongPoll.SOUND_OFF, LongPoll.SOUND_ON):
        return SetSound(enabled=command == LongPoll.SOUND_ON)
    if command in (LongPoll.ENABLE_BILL_ACCEPTOR, LongPoll.DISABLE_BILL_ACCEPTOR):
        return SetBillAcceptor(enabled=command == LongPoll.ENABLE_BILL_ACCEPTOR)
    if command == LongPoll.CONFIGURE_BILLS:
        dollars = bills_in(reader.take(4))
        return ConfigureBills(dollars=dollars, stay_enabled=_flag(reader, "bill action flag"))
    if command == LongPoll.ENABLE_GAME:
        game = reader.bcd(2)
        return EnableGame(game=game, enabled=_flag(reader, "game enable flag"))
    if command == LongPoll.REAL_TIME_EVENTS:
        return SetRealTimeEvents(enabled=_flag(reader, "real-time events flag"))
    if command == LongPoll.ROM_SIGNATURE:
        return StartRomSignature(seed=reader.binary(2))
    if command == LongPoll.SELECTED_METERS:
        game = reader.bcd(2)
        return ReadSelectedMeters(game=game, codes=_codes(reader, 1, 10))
    if command in (LongPoll.EXTENDED_METERS, LongPoll.EXTENDED_METERS_ALT):
        game = reader.bcd(2)
        return ReadExtendedMeters(command=command, game=game, codes=_codes(reader, 2, 12))
    if command in GAME_POLLS:
        return ReadGame(command=command, game=reader.bcd(2))
    if command == LongPoll.SET_DATE_TIME:
        return SetDateTime(moment=reader.date_time())
    if command == LongPoll.HANDPAY_RESET:
        return ResetHandpay()
    if command == LongPoll.HANDPAY_RESET_METHOD:
        return SetHandpayResetMethod(to_credit_meter=_flag(reader, "reset method"))
    if command == LongPoll.VALIDATION_INFO:
        function = reader.byte()
        if VALIDATION_LAST_INDEX < function < VALIDATION_PEEK:
            raise Malformed(f"validation function 0x{function:02X}")
        return ReadValidationInfo(function=function)
    if command == LongPoll.AFT_LOCK_STATUS:
        lock_code, conditions = reader.byte(), reader.byte()
        if lock_code not in AFT_LOCK_CODES:
            raise Malformed(f"AFT lock code 0x{lock_code:02X}")
        return AftLockOrStatus(lock_code=lock_code, conditions=conditions, timeout_cs=reader.bcd(2))
    if command == LongPoll.AFT_TRANSFER:
        return _aft_transfer(reader)
    if command not in VARIABLE_REQUESTS and request_length(command) == 2:
        return Read(command=command)
    return RawRequest(command=command, data=reader.rest())


def _aft_transfer(reader: Reader) -> RequestMessage:
    data = reader.rest()
    if len(data) == 2 and data[0] in (AFT_INTERROGATE, AFT_INTERROGATE_STATUS_ONLY):
        return AftInterrogate(index=data[1], status_only=data[0] == AFT_INTERROGATE_STATUS_ONLY)
    return RawRequest(command=LongPoll.AFT_TRANSFER, data=data)


def decode_request(request: LongPollRequest) -> RequestMessage | Fault:
    """The typed message of a host long poll, or an UNEXPECTED fault (NACK it). Never raises."""
    reader = Reader(request.data)
    try:
        message = _decode(request.command, reader)
        reader.done()
    except Malformed as exc:
        return Fault(
            kind=FaultKind.UNEXPECTED,
            reason=f"LP {request.command:02X} request: {exc}",
            raw=request.encode().data,
            address=request.address,
        )
    return message
