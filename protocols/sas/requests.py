"""Host-side encoding of general polls and long polls (reference §1.5, §3).

``LongPollRequest`` is the one description of a long poll: address, command
and the data after the command (without the length byte, which is added for
variable-length commands). ``encode`` frames it by type: R without CRC, S
and M with CRC, G to address 0. The helper functions below build the data of
the polls the host uses, so no caller assembles bytes by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from . import bcd
from .bills import bill_bitmap
from .commands import VARIABLE_REQUESTS, LongPoll, PollType, poll_type, request_length
from .crc import with_crc
from .errors import LocalProtocolError
from .frames import PollFrame
from .messages.fields import date_time_field

SYNC_ADDRESS = 0


def general_poll(address: int) -> PollFrame:
    """The one-byte general poll ``0x80 | address`` (address 0 = sync poll)."""
    if not 0 <= address <= 0x7F:
        raise LocalProtocolError(f"address {address} out of range 0-127")
    return PollFrame(data=bytes([0x80 | address]))


def sync_poll(address: int = SYNC_ADDRESS) -> PollFrame:
    """A general poll to an address nobody uses: resynchronises and implies an ACK."""
    return general_poll(address)


@dataclass(frozen=True, slots=True, kw_only=True)
class LongPollRequest:
    """A long poll: ``address`` (0 = global), ``command`` and its data."""

    address: int
    command: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.address <= 0x7F:
            raise LocalProtocolError(f"address {self.address} out of range 0-127")
        if not 0 <= self.command <= 0xFF:
            raise LocalProtocolError(f"command {self.command} out of range")
        if self.command in VARIABLE_REQUESTS:
            if len(self.data) > 0xFF:
                raise LocalProtocolError(f"LP {self.command:02X} data longer than 255 bytes")
            return
        expected = request_length(self.command)
        kind = poll_type(self.command, self.address)
        if kind is PollType.R:
            if self.data:
                raise LocalProtocolError(f"LP {self.command:02X} is type R and takes no data")
        elif expected == 2:  # type G: a broadcast needs a CRC, which type R frames lack
            raise LocalProtocolError(f"LP {self.command:02X} is type R and cannot be broadcast")
        elif len(self.data) + 4 != expected:
            raise LocalProtocolError(
                f"LP {self.command:02X} takes {expected - 4 if expected else 0} data bytes, "
                f"got {len(self.data)}"
            )

    @property
    def poll_type(self) -> PollType:
        return poll_type(self.command, self.address)

    def encode(self) -> PollFrame:
        """The frame to send, CRC included where the type requires it."""
        head = bytes([self.address, self.command])
        if self.poll_type is PollType.R:
            return PollFrame(data=head)
        if self.command in VARIABLE_REQUESTS:
            head += bytes([len(self.data)])
        return PollFrame(data=with_crc(head + self.data))


def _binary(value: int, size: int, what: str) -> bytes:
    """``value`` as ``size`` bytes LSB first; out of range is our caller's bug."""
    if not 0 <= value < 1 << (8 * size):
        raise LocalProtocolError(f"{what} {value} does not fit in {size} byte(s)")
    return value.to_bytes(size, "little")


def read(address: int, command: int) -> LongPollRequest:
    """A type R poll (meters, identification, ...)."""
    return LongPollRequest(address=address, command=command)


def enable_play(address: int) -> LongPollRequest:
    return LongPollRequest(address=address, command=LongPoll.STARTUP)


def disable_play(address: int) -> LongPollRequest:
    return LongPollRequest(address=address, command=LongPoll.SHUTDOWN)


def sound(address: int, *, on: bool) -> LongPollRequest:
    """LP 04 (sound on) or 03 (sound off)."""
    return LongPollRequest(address=address, command=LongPoll.SOUND_ON if on else LongPoll.SOUND_OFF)


def bill_acceptor(address: int, *, enabled: bool) -> LongPollRequest:
    """LP 06 (enable the bill acceptor) or 07 (disable it)."""
    command = LongPoll.ENABLE_BILL_ACCEPTOR if enabled else LongPoll.DISABLE_BILL_ACCEPTOR
    return LongPollRequest(address=address, command=command)


def configure_bills(
    address: int, dollars: Sequence[int], *, stay_enabled: bool = True
) -> LongPollRequest:
    """LP 08: accept exactly the notes in ``dollars``; ``stay_enabled`` False makes the
    acceptor disable itself after each bill (until the host enables it again)."""
    data = bill_bitmap(dollars) + bytes([int(stay_enabled)])
    return LongPollRequest(address=address, command=LongPoll.CONFIGURE_BILLS, data=data)


def enable_game(address: int, game: int, *, enabled: bool) -> LongPollRequest:
    """LP 09: enable (01) or disable (00) game ``game`` (1-9999, BCD)."""
    data = _game(game) + bytes([int(enabled)])
    return LongPollRequest(address=address, command=LongPoll.ENABLE_GAME, data=data)


def real_time_events(address: int, *, enabled: bool) -> LongPollRequest:
    return LongPollRequest(
        address=address, command=LongPoll.REAL_TIME_EVENTS, data=bytes([int(enabled)])
    )


def rom_signature(address: int, seed: int) -> LongPollRequest:
    """LP 21: start a ROM signature with ``seed`` (binary, LSB first); the result comes later."""
    return LongPollRequest(
        address=address, command=LongPoll.ROM_SIGNATURE, data=_binary(seed, 2, "seed")
    )


def _game(game: int) -> bytes:
    return bcd.encode(game, 2)


def selected_meters(address: int, game: int, codes: Sequence[int]) -> LongPollRequest:
    """LP 2F: 1-10 one-byte meter codes for ``game`` (0 = whole machine)."""
    if not 1 <= len(codes) <= 10:
        raise LocalProtocolError("LP 2F takes 1 to 10 meter codes")
    return LongPollRequest(
        address=address,
        command=LongPoll.SELECTED_METERS,
        data=_game(game) + b"".join(_binary(code, 1, "meter code") for code in codes),
    )


def extended_meters(
    address: int, game: int, codes: Sequence[int], *, alternate: bool = False
) -> LongPollRequest:
    """LP 6F (or AF with ``alternate``): 1-12 two-byte meter codes, LSB first."""
    if not 1 <= len(codes) <= 12:
        raise LocalProtocolError("LP 6F/AF takes 1 to 12 meter codes")
    command = LongPoll.EXTENDED_METERS_ALT if alternate else LongPoll.EXTENDED_METERS
    data = _game(game) + b"".join(_binary(code, 2, "meter code") for code in codes)
    return LongPollRequest(address=address, command=command, data=data)


def for_game(address: int, command: int, game: int) -> LongPollRequest:
    """A type M poll whose only data is the game number (A0, 52, 53, 2D ...)."""
    return LongPollRequest(address=address, command=command, data=_game(game))


def set_date_time(address: int, moment: datetime) -> LongPollRequest:
    """LP 7F: set the machine's clock (address 0 broadcasts it)."""
    return LongPollRequest(
        address=address, command=LongPoll.SET_DATE_TIME, data=date_time_field(moment)
    )


def handpay_reset(address: int) -> LongPollRequest:
    """LP 94: remote handpay reset."""
    return LongPollRequest(address=address, command=LongPoll.HANDPAY_RESET)


def handpay_reset_method(address: int, *, to_credit_meter: bool) -> LongPollRequest:
    """LP A8: choose how the next handpay reset pays (standard or to the credit meter)."""
    return LongPollRequest(
        address=address,
        command=LongPoll.HANDPAY_RESET_METHOD,
        data=bytes([int(to_credit_meter)]),
    )


VALIDATION_NEXT_UNREAD = 0x00
VALIDATION_PEEK = 0xFF


def validation_info(address: int, function: int = VALIDATION_NEXT_UNREAD) -> LongPollRequest:
    """LP 4D: 00 = next unread record (marks it read), 01-1F = buffer index, FF = peek."""
    return LongPollRequest(
        address=address, command=LongPoll.VALIDATION_INFO, data=_binary(function, 1, "function")
    )


AFT_LOCK_REQUEST = 0x00
AFT_LOCK_CANCEL = 0x80
AFT_STATUS_ONLY = 0xFF


def aft_lock_status(
    address: int, lock_code: int = AFT_STATUS_ONLY, conditions: int = 0, timeout_cs: int = 0
) -> LongPollRequest:
    """LP 74: lock request / cancel / status only; timeout in hundredths of a second (BCD)."""
    data = _binary(lock_code, 1, "lock code") + _binary(conditions, 1, "conditions")
    data += bcd.encode(timeout_cs, 2)
    return LongPollRequest(address=address, command=LongPoll.AFT_LOCK_STATUS, data=data)


def aft_interrogate(address: int, index: int = 0, *, status_only: bool = False) -> LongPollRequest:
    """LP 72 interrogation ``72 02 FF|FE idx``: 00 = the current transfer."""
    data = bytes([0xFE if status_only else 0xFF]) + _binary(index, 1, "index")
    return LongPollRequest(address=address, command=LongPoll.AFT_TRANSFER, data=data)
