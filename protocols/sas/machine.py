"""Machine side of the SAS codec: cut host polls out of the line, build replies.

The simulator is a strict machine (an EGM); this module is its receiver and
its reply encoder. ``HostFrameParser`` frames what the host sends (reference
§1.2-1.5, §3.15); ``machine_requests.decode_request`` says what a long poll
means; the functions at the bottom build the bytes a machine answers with.

What is parsed (host to machine; ``*`` = the byte carries the wake-up bit)::

    general poll   | *80|addr |                           1 byte, addr = byte & 7F
    type R         | *addr | cmd |                        2 bytes, no CRC
    type S / M     | *addr | cmd | data ... | crcL | crcH |   total from §3.15
    variable       | *addr | cmd | len | data(len) | crcL | crcH |   3 + len + 2
    type G         | *00   | cmd | [len] | data ... | crcL | crcH |   broadcast

Two framing modes, one parser:

* ``receive_marked`` - the link carries the wake-up bit (a 9-bit UART, or
  mark/space parity): a marked byte starts a message and abandons any
  message in progress; unmarked bytes outside a message are garbage.
* ``receive_data`` - the link carries no wake-up bit (ptys, TCP): framing
  is by content and timing. Outside a message a byte >= 0x80 is a general
  poll and a byte < 0x80 starts a long poll whose length comes from the
  command (``commands.request_length``).

In both modes a message is complete when it reaches its table length, and
a silence of ``gap`` seconds or more inside a message abandons it (the 5 ms
inter-byte rule, §1.7): framing restarts at the next byte. A message that
simply stops is reported by ``tick(now)`` once ``deadline`` has passed.

Rules: receiving never raises; every fault is a ``Fault`` value carrying
the raw bytes and, when known, the address:

* BAD_CRC     a framed S/M/G poll whose CRC is wrong (NACK it, unless global)
* TRUNCATED   a message cut short by a gap or by a new wake-up byte
* UNEXPECTED  a type R poll to address 0 (a broadcast must carry a CRC)
* GARBAGE     unmarked bytes outside any message (wake-up mode only)

A command missing from the length table is type R (two bytes), as on the
EGM platform the table was taken from: a vendor poll with data then frames
as a type R poll followed by junk. Addresses are not filtered: the machine
needs polls to other addresses too (implied ACK, resync, §1.7-1.8), and each
output carries its address. Time is passed in as ``now`` (monotonic
seconds). Nothing here imports I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .commands import request_length
from .crc import crc_ok, with_crc
from .errors import LocalProtocolError
from .frames import Fault, FaultKind, PollFrame
from .messages import RteEvent, encode_event, encode_reply
from .requests import LongPollRequest

DEFAULT_GAP = 0.005
"""Longest silence allowed between two bytes of one message, seconds (§1.7)."""

ROM_SIGNATURE_COMMAND = 0x21
_GENERAL_POLL_BIT = 0x80


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneralPollReceived:
    """A general poll ``80|addr`` (address 0 = the host's sync poll)."""

    address: int

    @property
    def raw(self) -> bytes:
        return bytes([_GENERAL_POLL_BIT | self.address])


@dataclass(frozen=True, slots=True, kw_only=True)
class LongPollReceived:
    """A framed, CRC-checked long poll; ``request.encode().data == raw``."""

    request: LongPollRequest
    raw: bytes

    @property
    def address(self) -> int:
        return self.request.address

    @property
    def command(self) -> int:
        return self.request.command


HostFrame = GeneralPollReceived | LongPollReceived
Parsed = HostFrame | Fault


class HostFrameParser:
    """Frames host polls in either mode; returns values, never raises on input."""

    def __init__(self, *, gap: float = DEFAULT_GAP) -> None:
        if math.isnan(gap) or gap < 0:
            raise LocalProtocolError(f"inter-byte gap must be >= 0, got {gap}")
        self._gap = gap
        self._message = bytearray()  # a long poll in progress: address byte first
        self._junk = bytearray()  # wake-up mode: unmarked bytes outside any message
        self._last = 0.0  # when the last byte arrived

    @property
    def gap(self) -> float:
        return self._gap

    @property
    def in_progress(self) -> bool:
        """True while a long poll has started and is not complete."""
        return bool(self._message)

    @property
    def deadline(self) -> float | None:
        """When ``tick`` will report what is held; ``None`` when nothing is held."""
        if not (self._message or self._junk):
            return None
        deadline = self._last + self._gap
        return deadline if math.isfinite(deadline) else None

    def receive_data(self, data: bytes, now: float) -> list[Parsed]:
        """Bytes from a link without the wake-up bit, all arrived at ``now``."""
        out = self.tick(now)
        for byte in data:
            if self._message:
                self._add(byte, out)
            elif byte & _GENERAL_POLL_BIT:
                out.append(GeneralPollReceived(address=byte & 0x7F))
            else:
                self._message.append(byte)
        if data:
            self._last = now
        return out

    def receive_marked(self, chars: Iterable[tuple[int, bool]], now: float) -> list[Parsed]:
        """``(byte, wakeup)`` pairs from a link with the wake-up bit, arrived at ``now``."""
        out = self.tick(now)
        received = False
        for byte, wakeup in chars:
            if not 0 <= byte <= 0xFF:
                raise LocalProtocolError(f"byte value {byte} out of range")
            received = True
            if wakeup:
                out += self._abandon("abandoned: a new message started")
                out += self._flush_junk()
                if byte & _GENERAL_POLL_BIT:
                    out.append(GeneralPollReceived(address=byte & 0x7F))
                else:
                    self._message.append(byte)
            elif self._message:
                self._add(byte, out)
            else:
                self._junk.append(byte)
        if received:
            self._last = now
        return out

    def tick(self, now: float) -> list[Parsed]:
        """Report a message or junk left hanging once the line is quiet for ``gap``."""
        deadline = self._last + self._gap
        if not (self._message or self._junk) or now < deadline:
            return []
        return self._abandon(f"line quiet for {self._gap * 1000:g} ms") + self._flush_junk()

    # --- framing -----------------------------------------------------------------

    def _add(self, byte: int, out: list[Parsed]) -> None:
        message = self._message
        message.append(byte)
        length = request_length(message[1])
        if length is None:
            if len(message) < 3:
                return
            length = 3 + message[2] + 2
        if len(message) == length:
            out.append(_complete(bytes(message)))
            message.clear()

    def _abandon(self, why: str) -> list[Parsed]:
        if not self._message:
            return []
        raw = bytes(self._message)
        self._message.clear()
        reason = f"{why} after {len(raw)} bytes"
        return [Fault(kind=FaultKind.TRUNCATED, reason=reason, raw=raw, address=raw[0])]

    def _flush_junk(self) -> list[Parsed]:
        if not self._junk:
            return []
        raw = bytes(self._junk)
        self._junk.clear()
        return [Fault(kind=FaultKind.GARBAGE, reason="unmarked bytes outside a message", raw=raw)]


def _complete(raw: bytes) -> Parsed:
    address, command = raw[0], raw[1]
    if len(raw) == 2:
        if address == 0:
            reason = f"type R poll {command:02X} to address 0"
            return Fault(kind=FaultKind.UNEXPECTED, reason=reason, raw=raw, address=0)
        return LongPollReceived(request=LongPollRequest(address=address, command=command), raw=raw)
    if not crc_ok(raw):
        return Fault(kind=FaultKind.BAD_CRC, reason="CRC mismatch", raw=raw, address=address)
    data = raw[3:-2] if request_length(command) is None else raw[2:-2]
    request = LongPollRequest(address=address, command=command, data=data)
    return LongPollReceived(request=request, raw=raw)


def marked(frame: PollFrame) -> list[tuple[int, bool]]:
    """A host frame as ``(byte, wakeup)`` pairs: the flag on the first byte only."""
    return [(byte, frame.wakeup and index == 0) for index, byte in enumerate(frame.data)]


# --- replies (machine to host, reference §1.6) -----------------------------------


class Encodable(Protocol):
    """A reply message from ``messages``: it knows its data bytes."""

    def encode(self) -> bytes: ...


def _check_address(address: int) -> int:
    if not 0 < address <= 0x7F:
        raise LocalProtocolError(f"machine address {address} out of range 1-127")
    return address


def ack_reply(address: int) -> bytes:
    """ACK: the address alone, no CRC."""
    return bytes([_check_address(address)])


def nack_reply(address: int) -> bytes:
    """NACK: ``addr|80``; the host retries the identical poll."""
    return bytes([_check_address(address) | 0x80])


def busy_reply(address: int) -> bytes:
    """Busy: ``addr 00``; the host retries later."""
    return bytes([_check_address(address), 0x00])


def exception_reply(code: int) -> bytes:
    """The one-byte answer to a general poll (00 = no activity)."""
    if not 0 <= code <= 0xFF:
        raise LocalProtocolError(f"exception code {code} out of range")
    return bytes([code])


def data_reply(address: int, command: int, message: Encodable) -> bytes:
    """A data reply ``addr cmd [len] data CRC`` for a ``messages`` reply."""
    return encode_reply(_check_address(address), command, message.encode())


def event_reply(address: int, rte: RteEvent) -> bytes:
    """A real-time event frame ``addr FF code data CRC`` (§3.12)."""
    data = rte.raw_data if rte.data is None else rte.data.encode()
    return encode_event(_check_address(address), rte.code, data)


def rom_signature_reply(address: int, signature: int) -> bytes:
    """``addr 21 sig(2 LE) CRC``: the LP 21 result, sent in reply to a general poll (§3.7)."""
    if not 0 <= signature <= 0xFFFF:
        raise LocalProtocolError(f"ROM signature {signature} out of range")
    head = bytes([_check_address(address), ROM_SIGNATURE_COMMAND])
    return with_crc(head + signature.to_bytes(2, "little"))


NACKED_FAULTS = frozenset({FaultKind.BAD_CRC, FaultKind.UNEXPECTED})


def fault_reply(fault: Fault, address: int) -> bytes | None:
    """The NACK a machine at ``address`` owes for ``fault``, or ``None`` (stay silent).

    Bad CRCs and invalid data addressed to this machine are NACKed (§1.9,
    §3.2); broadcasts, truncated messages and garbage get no answer.
    """
    if fault.kind in NACKED_FAULTS and fault.address == _check_address(address):
        return nack_reply(address)
    return None
