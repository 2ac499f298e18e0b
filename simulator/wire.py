"""What the byte links (``links``) need from a simulated line, whatever its protocol.

A line is the machines sharing one port: ``receive`` takes the bytes the
host wrote and returns the replies, ``tick`` runs the machines' clocks
(activity, chirps, framing timeouts) and returns what they send
unprompted. Each ``Reply`` says how long after ``now`` it goes on the wire.
Time is passed in; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Reply:
    """Bytes for the line, to be written ``delay`` seconds from now."""

    data: bytes
    delay: float


class SimulatedMachine(Protocol):
    """One machine on a line, as the runner and its manifest see it."""

    @property
    def machine_id(self) -> str: ...

    @property
    def address(self) -> int: ...


class SimulatedLine(Protocol):
    """The machines behind one port: bytes in, replies out."""

    @property
    def machines(self) -> Sequence[SimulatedMachine]: ...

    def receive(self, data: bytes, now: float) -> list[Reply]: ...

    def tick(self, now: float) -> list[Reply]: ...
