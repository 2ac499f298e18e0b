"""Field readers and writers shared by the message codecs.

``Reader`` walks a reply's data left to right and raises ``Malformed`` when
the data is short, long or not BCD; ``decode_reply`` turns that into a
fault, so it never reaches the caller of the deframer.
"""

from __future__ import annotations

from datetime import datetime

from .. import bcd
from ..errors import BcdError


class Malformed(Exception):  # noqa: N818 - internal signal, never escapes the package
    """The data of a reply does not match its layout."""


class Reader:
    """Sequential reader over reply data; every read checks the bounds."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, count: int) -> bytes:
        if count < 0 or self._pos + count > len(self._data):
            raise Malformed(f"need {count} bytes at offset {self._pos}, have {self.remaining}")
        chunk = self._data[self._pos : self._pos + count]
        self._pos += count
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def bcd(self, size: int) -> int:
        raw = self.take(size)
        try:
            return bcd.decode(raw)
        except BcdError as exc:
            raise Malformed(str(exc)) from exc

    def binary(self, size: int) -> int:
        """An unsigned binary field, LSB first (reference §3.0)."""
        return int.from_bytes(self.take(size), "little")

    def ascii(self, size: int) -> str:
        raw = self.take(size)
        if any(b < 0x20 or b > 0x7E for b in raw):
            raise Malformed(f"non-printable ASCII {raw.hex()}")
        return raw.decode("ascii")

    def date_time(self) -> datetime:
        month, day, year = self.bcd(1), self.bcd(1), self.bcd(2)
        hour, minute, second = self.bcd(1), self.bcd(1), self.bcd(1)
        try:
            return datetime(year, month, day, hour, minute, second)
        except ValueError as exc:
            raise Malformed(f"invalid date/time: {exc}") from exc

    def rest(self) -> bytes:
        return self.take(self.remaining)

    def done(self) -> None:
        if self.remaining:
            raise Malformed(f"{self.remaining} unexpected trailing bytes")


def ascii_field(text: str, size: int) -> bytes:
    raw = text.encode("ascii")
    if len(raw) != size:
        raise BcdError(f"{text!r} is not {size} ASCII characters")
    return raw


def date_time_field(moment: datetime) -> bytes:
    return (
        bcd.encode(moment.month, 1)
        + bcd.encode(moment.day, 1)
        + bcd.encode(moment.year, 2)
        + bcd.encode(moment.hour, 1)
        + bcd.encode(moment.minute, 1)
        + bcd.encode(moment.second, 1)
    )
