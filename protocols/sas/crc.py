"""CRC-16/KERMIT as SAS uses it (reference §2).

Polynomial 0x1021 reflected (0x8408), init 0, no final xor; the two CRC
bytes follow the covered bytes low byte first. Running the CRC over a whole
frame including its CRC gives 0, which is how frames are checked.
"""

from __future__ import annotations

from collections.abc import Callable

import crcmod.predefined

_kermit: Callable[[bytes], int] = crcmod.predefined.mkCrcFun("kermit")


def crc16(data: bytes) -> int:
    """Return the CRC-16/KERMIT of ``data`` (``crc16(b"123456789") == 0x2189``)."""
    return _kermit(data)


def with_crc(data: bytes) -> bytes:
    """Return ``data`` followed by its CRC, low byte first."""
    return data + crc16(data).to_bytes(2, "little")


def crc_ok(frame: bytes) -> bool:
    """True when ``frame`` ends in the correct CRC of the bytes before it."""
    return len(frame) >= 2 and _kermit(frame) == 0
