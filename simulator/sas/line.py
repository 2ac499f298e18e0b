"""One serial line of simulated SAS machines (one address, or several: multi-drop).

Ptys and TCP carry no wake-up bit, so the line frames what the host sends by
content and timing (``protocols.sas.machine.HostFrameParser.receive_data``):
a byte of 0x80 or more outside a message is a general poll, any other byte
starts a long poll whose length comes from the command table, and a silence
longer than ``gap`` inside a message abandons it. A host that paces like a
real SMIB (one message, then the reply or a timeout) is always understood.
Every machine hears every frame, as on a real multi-drop wire; only the
addressed one answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocols.sas import (
    HostFrameParser,
    Parsed,
)

from ..wire import Reply
from .egm import SasEgm

DEFAULT_GAP = 0.005


class SasLine:
    """Bytes from the host in, replies (with their delays) out. Time is passed in."""

    def __init__(self, egms: Sequence[SasEgm], *, gap: float = DEFAULT_GAP) -> None:
        self.egms = list(egms)
        self._parser = HostFrameParser(gap=gap)

    @property
    def machines(self) -> Sequence[SasEgm]:
        return self.egms

    def receive(self, data: bytes, now: float) -> list[Reply]:
        """Bytes the host wrote; returns what the machines answer."""
        frames = self._parser.receive_data(data, now)
        if frames:
            for egm in self.egms:  # answers are read from the machines' state at ``now``
                egm.advance(now)
        return self._hear(frames, now)

    def tick(self, now: float) -> list[Reply]:
        """Run the machines and the framing clock up to ``now``."""
        replies = self._hear(self._parser.tick(now), now)
        for egm in self.egms:
            egm.advance(now)
            chirp = egm.chirp(now)
            if chirp is not None:
                replies.append(chirp)
        return replies

    def _hear(self, frames: Sequence[Parsed], now: float) -> list[Reply]:
        """Every machine hears every frame; the addressed one may answer."""
        replies: list[Reply] = []
        for frame in frames:
            for egm in self.egms:
                reply = egm.hear(frame, now)
                if reply is not None:
                    replies.append(reply)
        return replies

    def next_deadline(self, now: float) -> float:
        deadlines = [egm.next_deadline(now) for egm in self.egms]
        parser = self._parser.deadline
        if parser is not None:
            deadlines.append(parser)
        return min(deadlines)
