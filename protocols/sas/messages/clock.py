"""LP 7E date and time reply, and the ROM signature delivered to a general poll.

::

    7E        | addr | 7E | MMDDYYYY(4 BCD) HHMMSS(3 BCD) | CRC |     11 bytes
    21 result | addr | 21 | signature(2 LE) | CRC |  (reply to a later general poll)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .fields import Reader, date_time_field


@dataclass(frozen=True, slots=True, kw_only=True)
class DateTime:
    """LP 7E: the machine's clock (its local time, no zone)."""

    moment: datetime

    def encode(self) -> bytes:
        return date_time_field(self.moment)

    @classmethod
    def decode(cls, command: int, data: bytes) -> DateTime:
        reader = Reader(data)
        moment = reader.date_time()
        reader.done()
        return cls(moment=moment)


@dataclass(frozen=True, slots=True, kw_only=True)
class RomSignature:
    """The result of LP 21, reported in reply to a general poll."""

    signature: int

    def encode(self) -> bytes:
        return self.signature.to_bytes(2, "little")

    @classmethod
    def decode(cls, command: int, data: bytes) -> RomSignature:
        reader = Reader(data)
        signature = reader.binary(2)
        reader.done()
        return cls(signature=signature)
