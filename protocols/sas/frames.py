"""Frames: checked SAS envelopes, and the faults found instead of them.

Host to machine, every message is a ``PollFrame``: its bytes plus the
wake-up flag, which marks the first byte (the 9th bit, or mark parity on a
UART without it). The flag is data here; the transport turns it into
parity. ::

    general poll   +---------+
                   | 80|addr |                              (1 byte, no CRC)
                   +---------+
    type R         | addr | cmd |                           (no CRC)
    type S / M     | addr | cmd | [len] | data ... | crcL | crcH |
    type G         |  00  | cmd | [len] | data ... | crcL | crcH |

Machine to host, a reply is one of::

    exception      | code |                    reply to a general poll
    ACK / NACK     | addr | / | addr|80 |       reply to a type S poll
    busy           | addr | 00 |
    data           | addr | cmd | [len] | data ... | crcL | crcH |
    event (RTE)    | addr | FF | code | data ... | crcL | crcH |

Anything else becomes a ``Fault`` with a reason and the raw bytes; receiving
never raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True, kw_only=True)
class PollFrame:
    """Bytes for the wire; ``wakeup`` sets the 9th bit on the first byte only."""

    data: bytes
    wakeup: bool = True

    @property
    def address(self) -> int:
        """The machine this frame is addressed to (0 for sync polls and broadcasts)."""
        first = self.data[0]
        return first & 0x7F if len(self.data) == 1 else first


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionFrame:
    """The one-byte answer to a general poll: an exception code (00 = nothing)."""

    address: int
    code: int
    raw: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class AckFrame:
    """The machine accepted a type S/M poll that returns no data."""

    address: int
    raw: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class NackFrame:
    """The machine rejected a long poll (bad CRC or data); retry it identically."""

    address: int
    raw: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class BusyFrame:
    """The machine is busy with a time-critical task; retry later."""

    address: int
    raw: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class DataFrame:
    """A CRC-checked reply ``addr cmd [len] data CRC``; ``data`` excludes the length byte."""

    address: int
    command: int
    data: bytes
    raw: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class EventFrame:
    """A real-time event ``addr FF code data CRC``."""

    address: int
    code: int
    data: bytes
    raw: bytes


Frame = ExceptionFrame | AckFrame | NackFrame | BusyFrame | DataFrame | EventFrame


class FaultKind(Enum):
    """Why received bytes were not a frame."""

    BAD_CRC = "bad_crc"
    WRONG_ADDRESS = "wrong_address"
    TRUNCATED = "truncated"
    UNEXPECTED = "unexpected"
    GARBAGE = "garbage"
    NO_REPLY = "no_reply"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """Received bytes that are not a valid frame, with the reason and the bytes."""

    kind: FaultKind
    reason: str
    raw: bytes = b""
    address: int | None = None


Received = Frame | Fault


def failure_reason(result: Fault | NackFrame | BusyFrame) -> str:
    """Why a poll got no usable reply, in one word (a fault kind, "nack" or "busy")."""
    if isinstance(result, NackFrame):
        return "nack"
    if isinstance(result, BusyFrame):
        return "busy"
    return result.kind.value
