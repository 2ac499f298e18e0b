"""Data of real-time events (``addr FF code data CRC``, reference §3.12).

Only the codes with data have a type of their own; every other code is an
``RteEvent`` with empty data, and an unknown code keeps its raw byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import bcd
from .cash import LastBill
from .fields import Reader


@dataclass(frozen=True, slots=True, kw_only=True)
class GameStarted:
    """RTE 7E: credits wagered, the coin-in meter after the bet, wager type, group."""

    credits_wagered: int
    coin_in_meter: int
    wager_type: int
    progressive_group: int

    def encode(self) -> bytes:
        return (
            bcd.encode(self.credits_wagered, 2)
            + bcd.encode(self.coin_in_meter, 4)
            + bytes([self.wager_type, self.progressive_group])
        )

    @classmethod
    def decode(cls, data: bytes) -> GameStarted:
        reader = Reader(data)
        message = cls(
            credits_wagered=reader.bcd(2),
            coin_in_meter=reader.bcd(4),
            wager_type=reader.byte(),
            progressive_group=reader.byte(),
        )
        reader.done()
        return message


@dataclass(frozen=True, slots=True, kw_only=True)
class GameEnded:
    """RTE 7F: the game win in credits (bonuses excluded)."""

    win: int

    def encode(self) -> bytes:
        return bcd.encode(self.win, 4)

    @classmethod
    def decode(cls, data: bytes) -> GameEnded:
        reader = Reader(data)
        win = reader.bcd(4)
        reader.done()
        return cls(win=win)


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyBonus:
    """RTE 7C: multiplier, multiplied win, tax status and bonus (credits)."""

    multiplier: int
    multiplied_win: int
    tax_status: int
    bonus: int

    def encode(self) -> bytes:
        return (
            bytes([self.multiplier])
            + bcd.encode(self.multiplied_win, 4)
            + bytes([self.tax_status])
            + bcd.encode(self.bonus, 4)
        )

    @classmethod
    def decode(cls, data: bytes) -> LegacyBonus:
        reader = Reader(data)
        message = cls(
            multiplier=reader.byte(),
            multiplied_win=reader.bcd(4),
            tax_status=reader.byte(),
            bonus=reader.bcd(4),
        )
        reader.done()
        return message


@dataclass(frozen=True, slots=True, kw_only=True)
class ReelStopped:
    """RTE 88: reel number and physical stop."""

    reel: int
    stop: int

    def encode(self) -> bytes:
        return bytes([self.reel, self.stop])

    @classmethod
    def decode(cls, data: bytes) -> ReelStopped:
        reader = Reader(data)
        message = cls(reel=reader.byte(), stop=reader.byte())
        reader.done()
        return message


@dataclass(frozen=True, slots=True, kw_only=True)
class GameRecall:
    """RTE 8A: game number and recall entry index."""

    game: int
    entry: int

    def encode(self) -> bytes:
        return bcd.encode(self.game, 2) + bcd.encode(self.entry, 2)

    @classmethod
    def decode(cls, data: bytes) -> GameRecall:
        reader = Reader(data)
        message = cls(game=reader.bcd(2), entry=reader.bcd(2))
        reader.done()
        return message


@dataclass(frozen=True, slots=True, kw_only=True)
class CardHeld:
    """RTE 8B: the raw card byte (the held-flag bit position is vendor-dependent)."""

    value: int

    def encode(self) -> bytes:
        return bytes([self.value])

    @classmethod
    def decode(cls, data: bytes) -> CardHeld:
        reader = Reader(data)
        value = reader.byte()
        reader.done()
        return cls(value=value)


@dataclass(frozen=True, slots=True, kw_only=True)
class GameSelected:
    """RTE 8C: the game number selected."""

    game: int

    def encode(self) -> bytes:
        return bcd.encode(self.game, 2)

    @classmethod
    def decode(cls, data: bytes) -> GameSelected:
        reader = Reader(data)
        game = reader.bcd(2)
        reader.done()
        return cls(game=game)


class _BillEvent:
    @staticmethod
    def decode(data: bytes) -> LastBill:
        return LastBill.decode(0x4F, data)


EventData = (
    GameStarted
    | GameEnded
    | LegacyBonus
    | ReelStopped
    | GameRecall
    | CardHeld
    | GameSelected
    | LastBill
)

EVENT_DECODERS: dict[int, Callable[[bytes], EventData]] = {
    0x4F: _BillEvent.decode,
    0x7C: LegacyBonus.decode,
    0x7E: GameStarted.decode,
    0x7F: GameEnded.decode,
    0x88: ReelStopped.decode,
    0x8A: GameRecall.decode,
    0x8B: CardHeld.decode,
    0x8C: GameSelected.decode,
}
