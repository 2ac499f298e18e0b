"""Count replies: LP 18 (games since power-up and door closure) and LP 1E (bills by note).

::

    18   | addr | 18 | since power-up(2 BCD) | since slot door closed(2 BCD) | CRC |
    1E   | addr | 1E | $1 | $5 | $10 | $20 | $50 | $100 |  (4 BCD counts) | CRC |

Both are type R polls with fixed-length replies (reference §3.3); the counts
are plain numbers, not meters in credits.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import bcd
from .fields import Reader

BILL_COUNT_DOLLARS: tuple[int, ...] = (1, 5, 10, 20, 50, 100)
"""The notes LP 1E counts, in reply order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GamesSince:
    """LP 18: games played since the last power-up and since the slot door was closed."""

    since_power_up: int
    since_door_closed: int

    def encode(self) -> bytes:
        return bcd.encode(self.since_power_up, 2) + bcd.encode(self.since_door_closed, 2)

    @classmethod
    def decode(cls, command: int, data: bytes) -> GamesSince:
        reader = Reader(data)
        since_power_up, since_door_closed = reader.bcd(2), reader.bcd(2)
        reader.done()
        return cls(since_power_up=since_power_up, since_door_closed=since_door_closed)


@dataclass(frozen=True, slots=True, kw_only=True)
class BillCounts:
    """LP 1E: how many notes of each of $1, $5, $10, $20, $50 and $100 were accepted."""

    counts: tuple[tuple[int, int], ...]
    """(dollars, count) in ``BILL_COUNT_DOLLARS`` order."""

    @classmethod
    def of(cls, counts: dict[int, int]) -> BillCounts:
        """The reply for lifetime counts by note (notes LP 1E does not count are left out)."""
        return cls(counts=tuple((note, counts.get(note, 0)) for note in BILL_COUNT_DOLLARS))

    def encode(self) -> bytes:
        return b"".join(bcd.encode(count, 4) for _, count in self.counts)

    @classmethod
    def decode(cls, command: int, data: bytes) -> BillCounts:
        reader = Reader(data)
        counts = tuple((note, reader.bcd(4)) for note in BILL_COUNT_DOLLARS)
        reader.done()
        return cls(counts=counts)
