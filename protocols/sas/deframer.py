"""Cut machine replies out of a byte stream, knowing what was asked.

SAS replies carry no delimiter: their shape follows from the pending
request. The host tells the deframer what it expects (``expect``), feeds
bytes in any chunking (``receive_data``) and, when the line has gone quiet
(inter-byte gap or reply timeout, measured by the caller), calls
``end_of_reply``. Each call returns what could be decided: at most one reply
(a ``Frame`` or a ``Fault``) per expectation, plus ``Fault(GARBAGE)`` for
bytes that belong to no reply.

Garbling cases and what they become:

* junk before the reply          -> GARBAGE for the junk, then the reply
  (the deframer hunts for the expected ``addr cmd`` header)
* a reply for another address    -> WRONG_ADDRESS
* wrong command echo, bad length -> UNEXPECTED (the rest of the reply is junk)
* CRC mismatch                   -> BAD_CRC
* the line goes quiet mid-frame  -> TRUNCATED
* nothing at all                 -> NO_REPLY
* bytes after the reply, or with nothing pending -> GARBAGE at the next
  ``expect`` or ``end_of_reply``

Some replies are one byte that could also be the start of a longer frame
(an ACK ``addr`` versus busy ``addr 00``; an exception code equal to the
address versus ``addr FF`` / ``addr 21`` frames). The deframer waits for
more bytes or for ``end_of_reply`` before deciding, so the caller's
inter-byte gap is the only timing involved. Nothing here raises on input.
"""

from __future__ import annotations

from dataclasses import dataclass

from .commands import REPLY_SHAPES, ROM_SIGNATURE_REPLY_LENGTH, ReplyKind, ReplyShape
from .crc import crc_ok
from .errors import LocalProtocolError
from .exception_codes import rte_data_length
from .frames import (
    AckFrame,
    BusyFrame,
    DataFrame,
    EventFrame,
    ExceptionFrame,
    Fault,
    FaultKind,
    NackFrame,
    Received,
)

RTE_MARKER = 0xFF
BUSY_MARKER = 0x00
ROM_SIGNATURE_COMMAND = 0x21


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectGeneralPoll:
    """A general poll is pending; ``rte`` and ``signature`` allow multi-byte replies."""

    address: int
    rte: bool = False
    signature: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectLongPoll:
    """A long poll is pending; ``shape`` overrides the default table entry."""

    address: int
    command: int
    rte: bool = False
    shape: ReplyShape | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectNothing:
    """A sync poll or a broadcast was sent: any byte is garbage."""


Expectation = ExpectGeneralPoll | ExpectLongPoll | ExpectNothing

_NEED_MORE = None


class ReplyDeframer:
    """Turns bytes into at most one reply per expectation. Never raises on input."""

    def __init__(self, shapes: dict[int, ReplyShape] | None = None) -> None:
        self._shapes = REPLY_SHAPES if shapes is None else shapes
        self._expect: Expectation = ExpectNothing()
        self._pending = False
        self._buffer = bytearray()
        self._junk = bytearray()

    @property
    def pending(self) -> bool:
        """True while a reply is expected and not yet decided."""
        return self._pending

    @property
    def buffered(self) -> int:
        """Bytes held: a partial reply, or junk not yet reported."""
        return len(self._buffer) + len(self._junk)

    def shape_for(self, command: int) -> ReplyShape | None:
        return self._shapes.get(command)

    def expect(self, expectation: Expectation) -> list[Received]:
        """Start waiting for the reply to a new poll; reports leftovers as garbage."""
        if (
            isinstance(expectation, ExpectLongPoll)
            and expectation.shape is None
            and expectation.command not in self._shapes
        ):
            raise LocalProtocolError(
                f"no reply shape known for LP {expectation.command:02X}; pass one"
            )
        out = self._leftovers()
        self._expect = expectation
        self._pending = not isinstance(expectation, ExpectNothing)
        return out

    def receive_data(self, data: bytes) -> list[Received]:
        """Feed received bytes; returns the replies and faults now decided."""
        if not self._pending:
            self._junk += data
            return []
        self._buffer += data
        return self._decide(final=False)

    def end_of_reply(self) -> list[Received]:
        """The line went quiet: decide what is buffered, or report no reply."""
        if not self._pending:
            return self._leftovers()
        out = self._decide(final=True)
        if self._pending:  # nothing decided at all: the buffer was empty
            self._pending = False
            out.append(Fault(kind=FaultKind.NO_REPLY, reason="no reply", address=self._address))
        return out + self._leftovers()

    @property
    def _address(self) -> int | None:
        expect = self._expect
        return None if isinstance(expect, ExpectNothing) else expect.address

    def _leftovers(self) -> list[Received]:
        junk = bytes(self._junk + self._buffer)
        self._junk.clear()
        self._buffer.clear()
        if not junk:
            return []
        return [Fault(kind=FaultKind.GARBAGE, reason="bytes outside any reply", raw=junk)]

    def _finish(self, result: Received, used: int) -> list[Received]:
        self._pending = False
        self._junk += self._buffer[used:]
        del self._buffer[:]
        return [result]

    def _decide(self, *, final: bool) -> list[Received]:
        expect = self._expect
        out: list[Received] = []
        while self._pending and self._buffer:
            if isinstance(expect, ExpectGeneralPoll):
                decided = self._general_poll_reply(expect, final=final)
            else:
                assert isinstance(expect, ExpectLongPoll)
                decided = self._long_poll_reply(expect, final=final)
            if decided is _NEED_MORE:
                break
            out += decided
        return out

    # --- general poll ----------------------------------------------------------

    def _general_poll_reply(
        self, expect: ExpectGeneralPoll, *, final: bool
    ) -> list[Received] | None:
        buf = self._buffer
        first = buf[0]
        multi_byte = (expect.rte or expect.signature) and first == expect.address
        if multi_byte:
            if len(buf) == 1 and not final:
                return _NEED_MORE
            if len(buf) >= 2 and expect.rte and buf[1] == RTE_MARKER:
                return self._event_frame(expect.address, final=final)
            if len(buf) >= 2 and expect.signature and buf[1] == ROM_SIGNATURE_COMMAND:
                return self._fixed_frame(expect.address, ROM_SIGNATURE_REPLY_LENGTH, final=final)
        frame = ExceptionFrame(address=expect.address, code=first, raw=bytes([first]))
        return self._finish(frame, 1)

    # --- long poll -------------------------------------------------------------

    def _long_poll_reply(self, expect: ExpectLongPoll, *, final: bool) -> list[Received] | None:
        buf = self._buffer
        address = expect.address
        first = buf[0]
        if first == address | 0x80:
            return self._finish(NackFrame(address=address, raw=bytes([first])), 1)
        if first != address:
            return self._hunt(expect, final=final)
        shape = expect.shape or self._shapes[expect.command]
        if len(buf) == 1:
            if shape.kind is ReplyKind.ACK and final:
                return self._finish(AckFrame(address=address, raw=bytes([first])), 1)
            return _NEED_MORE if not final else self._truncated(address)
        second = buf[1]
        if second == BUSY_MARKER:
            return self._finish(BusyFrame(address=address, raw=bytes(buf[:2])), 2)
        if second == RTE_MARKER and expect.rte:
            return self._event_frame(address, final=final)
        if second == expect.command and shape.kind is not ReplyKind.ACK:
            if shape.kind is ReplyKind.FIXED:
                return self._fixed_frame(address, shape.length, final=final)
            return self._variable_frame(address, final=final)
        if shape.kind is ReplyKind.ACK:
            # The ACK byte was complete; what follows belongs to no reply.
            return self._finish(AckFrame(address=address, raw=bytes([first])), 1)
        if second == address or second == address | 0x80:
            return self._drop_junk(1)  # a stray copy of the address byte: hunt again
        fault = Fault(
            kind=FaultKind.UNEXPECTED,
            reason=f"command echo 0x{second:02X}, expected 0x{expect.command:02X}",
            raw=bytes(buf),
            address=address,
        )
        return self._finish(fault, len(buf))

    def _hunt(self, expect: ExpectLongPoll, *, final: bool) -> list[Received] | None:
        buf = self._buffer
        if _may_start(buf, 0, expect, final=final):  # another machine's ``addr cmd``?
            if len(buf) == 1:
                return _NEED_MORE  # the next byte decides, however the bytes were chunked
            fault = Fault(
                kind=FaultKind.WRONG_ADDRESS,
                reason=f"reply from address {buf[0]}, expected {expect.address}",
                raw=bytes(buf),
                address=expect.address,
            )
            return self._finish(fault, len(buf))
        skip = 1
        while skip < len(buf) and not _may_start(buf, skip, expect, final=final):
            skip += 1
        return self._drop_junk(skip)

    def _drop_junk(self, count: int) -> list[Received]:
        junk = bytes(self._buffer[:count])
        del self._buffer[:count]
        return [Fault(kind=FaultKind.GARBAGE, reason="junk before the reply", raw=junk)]

    # --- framed replies ----------------------------------------------------------

    def _truncated(self, address: int) -> list[Received]:
        fault = Fault(
            kind=FaultKind.TRUNCATED,
            reason=f"reply stopped after {len(self._buffer)} bytes",
            raw=bytes(self._buffer),
            address=address,
        )
        return self._finish(fault, len(self._buffer))

    def _fixed_frame(self, address: int, length: int, *, final: bool) -> list[Received] | None:
        if len(self._buffer) < length:
            return self._truncated(address) if final else _NEED_MORE
        raw = bytes(self._buffer[:length])
        if not crc_ok(raw):
            return self._finish(_bad_crc(raw, address), length)
        frame = DataFrame(address=address, command=raw[1], data=raw[2:-2], raw=raw)
        return self._finish(frame, length)

    def _variable_frame(self, address: int, *, final: bool) -> list[Received] | None:
        if len(self._buffer) < 3:
            return self._truncated(address) if final else _NEED_MORE
        length = 3 + self._buffer[2] + 2
        if len(self._buffer) < length:
            return self._truncated(address) if final else _NEED_MORE
        raw = bytes(self._buffer[:length])
        if not crc_ok(raw):
            return self._finish(_bad_crc(raw, address), length)
        frame = DataFrame(address=address, command=raw[1], data=raw[3:-2], raw=raw)
        return self._finish(frame, length)

    def _event_frame(self, address: int, *, final: bool) -> list[Received] | None:
        if len(self._buffer) < 3:
            return self._truncated(address) if final else _NEED_MORE
        code = self._buffer[2]
        length = 3 + rte_data_length(code) + 2
        if len(self._buffer) < length:
            return self._truncated(address) if final else _NEED_MORE
        raw = bytes(self._buffer[:length])
        if not crc_ok(raw):
            return self._finish(_bad_crc(raw, address), length)
        return self._finish(EventFrame(address=address, code=code, data=raw[3:-2], raw=raw), length)


def _may_start(buf: bytearray, index: int, expect: ExpectLongPoll, *, final: bool) -> bool:
    """True when a reply could begin at ``buf[index]``: ours, or another address's ``addr cmd``."""
    byte = buf[index]
    if byte in (expect.address, expect.address | 0x80):
        return True
    if not 1 <= byte <= 0x7F:
        return False
    if index + 1 < len(buf):
        return buf[index + 1] == expect.command
    return not final


def _bad_crc(raw: bytes, address: int) -> Fault:
    return Fault(kind=FaultKind.BAD_CRC, reason="CRC mismatch", raw=raw, address=address)
