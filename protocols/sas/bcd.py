"""Packed BCD, most significant byte first (reference §3.0).

``decode`` rejects any nibble above 9 with ``BcdError``; message decoders
catch it and report a fault, so a bad byte on the wire never escapes as an
exception.
"""

from __future__ import annotations

from .errors import BcdError


def encode(value: int, size: int) -> bytes:
    """Encode a non-negative ``value`` as ``size`` bytes of packed BCD."""
    if size < 0:
        raise BcdError(f"negative BCD size {size}")
    if value < 0 or value >= 10 ** (2 * size):
        raise BcdError(f"{value} does not fit in {size} BCD bytes")
    digits = str(value).rjust(2 * size, "0")
    return bytes((int(digits[i]) << 4) | int(digits[i + 1]) for i in range(0, 2 * size, 2))


def decode(data: bytes) -> int:
    """Decode packed BCD bytes; raise ``BcdError`` on a nibble above 9."""
    value = 0
    for byte in data:
        high, low = byte >> 4, byte & 0x0F
        if high > 9 or low > 9:
            raise BcdError(f"byte 0x{byte:02X} is not BCD")
        value = value * 100 + high * 10 + low
    return value


def is_valid(data: bytes) -> bool:
    """True when every nibble of ``data`` is a decimal digit."""
    return all((b >> 4) <= 9 and (b & 0x0F) <= 9 for b in data)
