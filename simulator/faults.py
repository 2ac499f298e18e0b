"""Faults a simulated machine injects into its replies (and its life).

By probability, per reply: flip one bit, drop one byte, reply late (past
the 20 ms limit), or send junk with the reply (see ``mangle`` for why
one-byte replies are spared the undetectable cases). By time: a window of
silence, a burst of one of the reply faults, a power cycle or a FIFO
overflow (the last two act on the machine; ``due`` hands them over once).
Every injected fault is counted by kind for the live summary.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

REPLY_FAULTS = ("bit_flip", "drop_byte", "late_reply", "garbage")
MACHINE_FAULTS = ("power_cycle", "fifo_overflow")
PROTECTED_LENGTH = 4  # the shortest reply with a CRC: addr cmd CRC CRC


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRates:
    bit_flip: float = 0.0
    drop_byte: float = 0.0
    late_reply: float = 0.0
    garbage: float = 0.0
    late_reply_ms: float = 60.0

    def any(self) -> bool:
        return any(getattr(self, kind) > 0 for kind in REPLY_FAULTS)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimedFault:
    """``kind`` from ``start`` for ``seconds`` (reply faults: every reply in the window)."""

    kind: str
    start: float
    seconds: float = 0.0

    def active(self, now: float) -> bool:
        return self.start <= now < self.start + self.seconds


@dataclass(slots=True)
class FaultInjector:
    rates: FaultRates
    rng: random.Random
    timed: list[TimedFault] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    _done: set[int] = field(default_factory=set)

    def silent(self, now: float) -> bool:
        return any(f.kind == "silence" and f.active(now) for f in self.timed)

    def due(self, now: float) -> list[str]:
        """Machine faults whose time has come (each returned once)."""
        out: list[str] = []
        for index, fault in enumerate(self.timed):
            if fault.kind in MACHINE_FAULTS and now >= fault.start and index not in self._done:
                self._done.add(index)
                self.counts[fault.kind] += 1
                out.append(fault.kind)
        return out

    def _hit(self, kind: str, now: float) -> bool:
        if any(f.kind == kind and f.active(now) for f in self.timed):
            return True
        rate: float = getattr(self.rates, kind)
        return rate > 0 and self.rng.random() < rate

    def mangle(self, data: bytes, delay: float, now: float) -> tuple[bytes, float]:
        """The reply as it goes on the wire, and its delay.

        A one-byte reply (an exception code, an ACK) has no CRC: a flipped bit
        in it, or junk in front of it, is a different valid reply that no host
        can detect. Bit flips therefore hit only CRC-protected frames, and junk
        goes after short replies instead of before them.
        """
        protected = len(data) >= PROTECTED_LENGTH
        if protected and self._hit("bit_flip", now):
            self.counts["bit_flip"] += 1
            position = self.rng.randrange(len(data) * 8)
            flipped = bytearray(data)
            flipped[position // 8] ^= 1 << (position % 8)
            data = bytes(flipped)
        if self._hit("drop_byte", now) and data:
            self.counts["drop_byte"] += 1
            index = self.rng.randrange(len(data))
            data = data[:index] + data[index + 1 :]
        if data and self._hit("garbage", now):  # junk alone would read as an exception code
            self.counts["garbage"] += 1
            junk = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 4)))
            data = junk + data if protected else data + junk
        if self._hit("late_reply", now):
            self.counts["late_reply"] += 1
            delay = max(delay, self.rates.late_reply_ms / 1000)
        return data, delay
