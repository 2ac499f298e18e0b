"""Meter replies: single meters, the 0F/19/1C sets, 2F selected and 6F/AF extended.

Values are keyed by Table C-7 meter code (``meter_codes``), so every meter
reply ends up in the same shape whichever long poll read it. ::

    single   | addr | cmd | value(4 BCD) | CRC |                 (10-17, 1A, ...)
    0F/19/1C | addr | cmd | value(4 BCD) x 6 / 5 / 8 | CRC |
    2F       | addr | 2F | len | game(2 BCD) | {code(1) value(4|5 BCD)}... | CRC |
    6F / AF  | addr | cmd | len | game(2 BCD) | {code(2 LE) size(1) value}... | CRC |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import bcd
from ..meter_codes import Meter, lp2f_size
from .fields import Malformed, Reader

SINGLE_METER_CODES: dict[int, int] = {
    0x10: Meter.CANCELLED_CREDITS,
    0x11: Meter.COIN_IN,
    0x12: Meter.COIN_OUT,
    0x13: Meter.TOTAL_DROP,
    0x14: Meter.JACKPOT,
    0x15: Meter.GAMES_PLAYED,
    0x16: Meter.GAMES_WON,
    0x17: Meter.GAMES_LOST,
    0x1A: Meter.CURRENT_CREDITS,
}
"""Single-meter long polls whose value is a Table C-7 meter."""

SINGLE_METER_COMMANDS = frozenset(
    [*range(0x10, 0x18), 0x1A, 0x20, 0x2A, 0x2B, 0x2C, *range(0x31, 0x46), 0x46, 0x47, 0x49, 0x4A]
) - {0x3D}  # 3D is standard validation (number + amount, 13 bytes), not a bill count

DOOR_OPENED_COUNT = "slot_door_opened_count"
POWER_RESET_COUNT = "power_reset_count"

MULTI_METER_LAYOUTS: dict[int, tuple[int, ...]] = {
    0x0F: (
        Meter.CANCELLED_CREDITS,
        Meter.COIN_IN,
        Meter.COIN_OUT,
        Meter.TOTAL_DROP,
        Meter.JACKPOT,
        Meter.GAMES_PLAYED,
    ),
    0x19: (Meter.COIN_IN, Meter.COIN_OUT, Meter.TOTAL_DROP, Meter.JACKPOT, Meter.GAMES_PLAYED),
    0x1C: (
        Meter.COIN_IN,
        Meter.COIN_OUT,
        Meter.TOTAL_DROP,
        Meter.JACKPOT,
        Meter.GAMES_PLAYED,
        Meter.GAMES_WON,
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SingleMeter:
    """One 4-byte BCD meter read by its own long poll (10-17, 1A, bill counts ...)."""

    command: int
    value: int

    @property
    def meter_code(self) -> int | None:
        """The Table C-7 code of this meter, when it has one."""
        return SINGLE_METER_CODES.get(self.command)

    def encode(self) -> bytes:
        return bcd.encode(self.value, 4)

    @classmethod
    def decode(cls, command: int, data: bytes) -> SingleMeter:
        reader = Reader(data)
        value = reader.bcd(4)
        reader.done()
        return cls(command=command, value=value)


@dataclass(frozen=True, slots=True, kw_only=True)
class MultiMeters:
    """LP 0F, 19 or 1C: a fixed set of 4-byte meters (1C adds two counters)."""

    command: int
    values: tuple[tuple[int, int], ...]
    door_opened_count: int | None = None
    power_reset_count: int | None = None

    def as_dict(self) -> dict[int, int]:
        return dict(self.values)

    def encode(self) -> bytes:
        out = b"".join(bcd.encode(value, 4) for _, value in self.values)
        if self.command == 0x1C:
            out += bcd.encode(self.door_opened_count or 0, 4)
            out += bcd.encode(self.power_reset_count or 0, 4)
        return out

    @classmethod
    def from_meters(
        cls, command: int, meters: dict[int, int], *, door_opened: int = 0, power_resets: int = 0
    ) -> MultiMeters:
        """Build the reply a machine with ``meters`` gives to ``command``."""
        values = tuple((code, meters.get(code, 0)) for code in MULTI_METER_LAYOUTS[command])
        if command == 0x1C:
            return cls(
                command=command,
                values=values,
                door_opened_count=door_opened,
                power_reset_count=power_resets,
            )
        return cls(command=command, values=values)

    @classmethod
    def decode(cls, command: int, data: bytes) -> MultiMeters:
        reader = Reader(data)
        values = tuple((code, reader.bcd(4)) for code in MULTI_METER_LAYOUTS[command])
        door = power = None
        if command == 0x1C:
            door, power = reader.bcd(4), reader.bcd(4)
        reader.done()
        return cls(command=command, values=values, door_opened_count=door, power_reset_count=power)


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectedMeters:
    """LP 2F reply: values for the requested one-byte meter codes of ``game``."""

    game: int
    values: tuple[tuple[int, int], ...]

    def as_dict(self) -> dict[int, int]:
        return dict(self.values)

    def encode(self, size_of: Callable[[int], int] = lp2f_size) -> bytes:
        body = b"".join(
            bytes([code]) + bcd.encode(value, size_of(code)) for code, value in self.values
        )
        return bcd.encode(self.game, 2) + body

    @classmethod
    def decode(
        cls, command: int, data: bytes, size_of: Callable[[int], int] = lp2f_size
    ) -> SelectedMeters:
        del command
        reader = Reader(data)
        game = reader.bcd(2)
        values: list[tuple[int, int]] = []
        while reader.remaining:
            code = reader.byte()
            values.append((code, reader.bcd(size_of(code))))
        return cls(game=game, values=tuple(values))


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendedMeter:
    """One entry of a 6F/AF reply; ``value`` is ``None`` when size 0 (unsupported)."""

    code: int
    size: int
    value: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendedMeters:
    """LP 6F / AF reply: meters with their own sizes for ``game``."""

    command: int
    game: int
    meters: tuple[ExtendedMeter, ...]

    def as_dict(self) -> dict[int, int]:
        """Supported meters only."""
        return {m.code: m.value for m in self.meters if m.value is not None}

    @property
    def unsupported(self) -> tuple[int, ...]:
        return tuple(m.code for m in self.meters if m.value is None)

    def encode(self) -> bytes:
        out = bcd.encode(self.game, 2)
        for meter in self.meters:
            out += meter.code.to_bytes(2, "little") + bytes([meter.size])
            if meter.size:
                out += bcd.encode(meter.value or 0, meter.size)
        return out

    @classmethod
    def decode(cls, command: int, data: bytes) -> ExtendedMeters:
        reader = Reader(data)
        game = reader.bcd(2)
        meters: list[ExtendedMeter] = []
        while reader.remaining:
            code = reader.binary(2)
            size = reader.byte()
            if size > 9:
                raise Malformed(f"meter 0x{code:04X} size {size} above 9")
            value = reader.bcd(size) if size else None
            meters.append(ExtendedMeter(code=code, size=size, value=value))
        return cls(command=command, game=game, meters=tuple(meters))
