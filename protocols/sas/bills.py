"""Bill denominations as LP 08 carries them: a 4-byte enable bitmap (reference §3.2).

::

    bit   byte 0 (LSB)   byte 1     byte 2       byte 3 (MSB)
     0    $1             $200       $20 000      reserved
     1    $2             $250       $25 000      reserved
     2    $5             $500       $50 000      reserved
     3    $10            $1 000     $100 000     reserved
     4    $20            $2 000     $200 000     reserved
     5    $25            $2 500     $250 000     reserved
     6    $50            $5 000     $500 000     reserved
     7    $100           $10 000    $1 000 000   reserved

A bill not in the table cannot be named by LP 08; asking for one is our own
bug (``LocalProtocolError``). Reserved bits set by a host are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import LocalProtocolError

BITMAP_DOLLARS: tuple[int, ...] = (
    *(1, 2, 5, 10, 20, 25, 50, 100),
    *(200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000),
    *(20_000, 25_000, 50_000, 100_000, 200_000, 250_000, 500_000, 1_000_000),
)
"""Dollar value of each bit of the LP 08 bitmap, least significant bit first."""

BITMAP_SIZE = 4


def bill_bitmap(dollars: Iterable[int]) -> bytes:
    """The LP 08 bitmap that enables exactly the notes in ``dollars``."""
    bits = 0
    for note in dollars:
        if note not in BITMAP_DOLLARS:
            raise LocalProtocolError(f"${note} is not a bill LP 08 can name")
        bits |= 1 << BITMAP_DOLLARS.index(note)
    return bits.to_bytes(BITMAP_SIZE, "little")


def bills_in(bitmap: bytes) -> tuple[int, ...]:
    """The notes a 4-byte LP 08 bitmap enables, smallest first (reserved bits ignored)."""
    bits = int.from_bytes(bitmap[:BITMAP_SIZE], "little")
    return tuple(note for index, note in enumerate(BITMAP_DOLLARS) if bits >> index & 1)
