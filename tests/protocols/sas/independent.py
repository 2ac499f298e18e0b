"""Test-side helpers that do not trust the code under test.

``reference_crc`` is the bitwise CRC-16/KERMIT of reference §2.1, written
here independently of ``protocols.sas.crc`` (which uses crcmod), so the
vectors built with it pin the codec against the reference, not against
itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

from protocols.sas.deframer import Expectation, ReplyDeframer
from protocols.sas.frames import Fault, FaultKind, Received


def reference_crc(data: bytes, crc: int = 0) -> int:
    """CRC-16/KERMIT, bit by bit: polynomial 0x1021 reflected (0x8408), init 0."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def framed(*parts: int | bytes | Iterable[int]) -> bytes:
    """Concatenate byte parts and append the reference CRC, low byte first."""
    body = bytearray()
    for part in parts:
        if isinstance(part, int):
            body.append(part)
        else:
            body += bytes(part)
    crc = reference_crc(bytes(body))
    return bytes(body) + bytes([crc & 0xFF, crc >> 8])


def hex_bytes(text: str) -> bytes:
    """``"01 1A"`` -> ``b"\\x01\\x1a"``."""
    return bytes.fromhex(text)


def run(
    expectation: Expectation,
    chunks: Sequence[bytes],
    deframer: ReplyDeframer | None = None,
) -> list[Received]:
    """Everything a deframer reports for ``chunks`` received after ``expectation``."""
    deframer = ReplyDeframer() if deframer is None else deframer
    out = deframer.expect(expectation)
    for chunk in chunks:
        out += deframer.receive_data(chunk)
    return out + deframer.end_of_reply()


def split(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given offsets (any order, duplicates ignored)."""
    points = sorted({c for c in cuts if 0 < c < len(data)})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


def is_garbage(item: Received) -> bool:
    return isinstance(item, Fault) and item.kind is FaultKind.GARBAGE


def replies(items: Sequence[Received]) -> list[Received]:
    """What is left when GARBAGE faults are removed."""
    return [item for item in items if not is_garbage(item)]


def garbage_bytes(items: Sequence[Received]) -> bytes:
    return b"".join(item.raw for item in items if is_garbage(item))
