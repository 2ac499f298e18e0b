"""Identification replies: 1F/53 game configuration, 51/55/56 game lists, 54, A0.

::

    1F  | addr | 1F | gameID(2A) addID(3A) denom(1) maxBet(1) group(1) options(2 LE)
                      paytable(6A) base%(4A) | CRC |                 24 bytes
    53  | addr | 53 | game(2 BCD) + the 1F fields | CRC |            26 bytes
    51  | addr | 51 | count(2 BCD) | CRC |
    55  | addr | 55 | game(2 BCD) | CRC |
    56  | addr | 56 | len | count(1) game(2 BCD)... | CRC |
    54  | addr | 54 | len | version(3A) serial(0-40A) | CRC |
    A0  | addr | A0 | game(2 BCD) features1-4(4) reserved(2) | CRC |   12 bytes
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import bcd
from .fields import Malformed, Reader, ascii_field

DENOMINATION_CENTS: dict[int, int] = {
    0x01: 1,
    0x02: 5,
    0x03: 10,
    0x04: 25,
    0x05: 50,
    0x06: 100,
    0x07: 500,
    0x08: 1000,
    0x09: 2000,
    0x0A: 10000,
    0x0B: 20,
    0x0C: 200,
    0x0D: 250,
    0x0E: 2500,
    0x0F: 5000,
    0x10: 20000,
    0x11: 25000,
    0x12: 50000,
    0x13: 100000,
    0x14: 200000,
    0x15: 250000,
    0x16: 500000,
    0x17: 2,
    0x18: 3,
    0x19: 15,
    0x1A: 40,
}
"""Table C-4: SAS denomination code to cents per credit."""


def denomination_cents(code: int) -> int | None:
    """Cents per credit for a denomination code, ``None`` when unknown."""
    return DENOMINATION_CENTS.get(code)


@dataclass(frozen=True, slots=True, kw_only=True)
class GameConfiguration:
    """LP 1F (whole machine, ``game`` None) or LP 53 (game N)."""

    game: int | None
    game_id: str
    additional_id: str
    denomination: int
    max_bet: int
    progressive_group: int
    game_options: int
    paytable_id: str
    base_percent: str

    @property
    def denomination_cents(self) -> int | None:
        return denomination_cents(self.denomination)

    def encode(self) -> bytes:
        head = b"" if self.game is None else bcd.encode(self.game, 2)
        return (
            head
            + ascii_field(self.game_id, 2)
            + ascii_field(self.additional_id, 3)
            + bytes([self.denomination, self.max_bet, self.progressive_group])
            + self.game_options.to_bytes(2, "little")
            + ascii_field(self.paytable_id, 6)
            + ascii_field(self.base_percent, 4)
        )

    @classmethod
    def decode(cls, command: int, data: bytes) -> GameConfiguration:
        reader = Reader(data)
        game = reader.bcd(2) if command == 0x53 else None
        message = cls(
            game=game,
            game_id=reader.ascii(2),
            additional_id=reader.ascii(3),
            denomination=reader.byte(),
            max_bet=reader.byte(),
            progressive_group=reader.byte(),
            game_options=reader.binary(2),
            paytable_id=reader.ascii(6),
            base_percent=reader.ascii(4),
        )
        reader.done()
        return message


@dataclass(frozen=True, slots=True, kw_only=True)
class GameCount:
    """LP 51: number of games implemented (0 = not a multi-game machine)."""

    count: int

    def encode(self) -> bytes:
        return bcd.encode(self.count, 2)

    @classmethod
    def decode(cls, command: int, data: bytes) -> GameCount:
        reader = Reader(data)
        count = reader.bcd(2)
        reader.done()
        return cls(count=count)


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectedGame:
    """LP 55: the game being played (0 = in the game-selection menu)."""

    game: int

    def encode(self) -> bytes:
        return bcd.encode(self.game, 2)

    @classmethod
    def decode(cls, command: int, data: bytes) -> SelectedGame:
        reader = Reader(data)
        game = reader.bcd(2)
        reader.done()
        return cls(game=game)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnabledGames:
    """LP 56: the enabled game numbers."""

    games: tuple[int, ...]

    def encode(self) -> bytes:
        return bytes([len(self.games)]) + b"".join(bcd.encode(g, 2) for g in self.games)

    @classmethod
    def decode(cls, command: int, data: bytes) -> EnabledGames:
        reader = Reader(data)
        count = reader.byte()
        games = tuple(reader.bcd(2) for _ in range(count))
        reader.done()
        return cls(games=games)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionSerial:
    """LP 54: SAS version ("602") and serial number (0-40 characters)."""

    version: str
    serial: str

    @property
    def major(self) -> int:
        return int(self.version[0]) if self.version[:1].isdigit() else 0

    def encode(self) -> bytes:
        return ascii_field(self.version, 3) + ascii_field(self.serial, len(self.serial))

    @classmethod
    def decode(cls, command: int, data: bytes) -> VersionSerial:
        reader = Reader(data)
        version = reader.ascii(3)
        if reader.remaining > 40:
            raise Malformed(f"serial number of {reader.remaining} characters (max 40)")
        serial = reader.ascii(reader.remaining)
        return cls(version=version, serial=serial)


@dataclass(frozen=True, slots=True, kw_only=True)
class Features:
    """LP A0: enabled features of ``game``; the bits the agent uses are properties."""

    game: int
    features: bytes  # features 1-4
    reserved: bytes = b"\x00\x00"

    def _bit(self, byte: int, bit: int) -> bool:
        return bool(self.features[byte] >> bit & 1)

    @property
    def validation_extensions(self) -> bool:
        return self._bit(0, 4)

    @property
    def ticket_redemption(self) -> bool:
        return self._bit(0, 7)

    @property
    def extended_meters(self) -> bool:
        return self._bit(1, 3)

    @property
    def aft(self) -> bool:
        return self._bit(1, 6)

    @property
    def multi_denom(self) -> bool:
        return self._bit(1, 7)

    @property
    def fast_polling(self) -> bool:
        """Features 3 bit 0: the machine accepts a poll every 40 ms."""
        return self._bit(2, 0)

    def encode(self) -> bytes:
        return bcd.encode(self.game, 2) + self.features + self.reserved

    @classmethod
    def decode(cls, command: int, data: bytes) -> Features:
        reader = Reader(data)
        message = cls(game=reader.bcd(2), features=reader.take(4), reserved=reader.take(2))
        reader.done()
        return message
