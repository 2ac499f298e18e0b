"""The exception queue of a simulated SAS machine (reference §3.1).

Two parts, as on a real EGM:

* a FIFO of ordinary exceptions, ``depth`` deep (20 by default); when it is
  full the oldest entry is lost and priority exception 70 is raised;
* priority exceptions, kept as flags and always reported first, in the
  order of ``PRIORITY_ORDER``. A flag whose servicing long poll has not been
  seen ``repeat_after`` seconds after it was acknowledged is reported again
  (51 every 15 s until LP 1B, reference §3.5) - a repeat, not a new event.

Every entry carries the machine event it reports; its ledger sequence
number is given when it is first reported (see ``SasEgm``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from protocols.sas import lookup

PRIORITY_ORDER: tuple[int, ...] = (0x57, 0x67, 0x68, 0x3F, 0x6A, 0x6B, 0x6F, 0x56, 0x3D)
PRIORITY_ORDER += (0x3E, 0x69, 0x6C, 0x6D, 0x52, 0x51, 0x8F, 0x70)

SERVICED_BY: dict[int, frozenset[int]] = {
    0x51: frozenset({0x1B}),
    0x3D: frozenset({0x4D}),
    0x3E: frozenset({0x4D}),
    0x57: frozenset({0x57}),
    0x67: frozenset({0x70}),
}
"""Priority exceptions that repeat until the host reads them with these long polls."""

OVERFLOW = 0x70


@dataclass(slots=True, kw_only=True, eq=False)  # identity: two door openings are two entries
class Entry:
    """One reported (or to be reported) exception."""

    code: int
    rte_data: bytes = b""
    event: str = ""  # the machine event it reports (the ledger's "event")
    data: dict[str, int | str] = field(default_factory=dict)
    seq: int = 0  # ledger sequence, given when first reported (0: not yet)
    acked: bool = False  # the host has acknowledged it once
    repeat_at: float | None = None  # when an unserviced flag is reported again


class ExceptionQueue:
    """FIFO plus priority flags. ``head`` is what a general poll reports next."""

    def __init__(self, *, depth: int = 20, repeat_after: float = 15.0) -> None:
        self.depth = depth
        self.repeat_after = repeat_after
        self._fifo: deque[Entry] = deque()
        self._flags: dict[int, deque[Entry]] = {}

    def __len__(self) -> int:
        return len(self._fifo) + sum(len(q) for q in self._flags.values())

    def push(self, entry: Entry) -> list[Entry]:
        """Queue ``entry``; returns the entries lost to an overflow."""
        info = lookup(entry.code)
        if info is not None and info.priority:
            self._flags.setdefault(entry.code, deque()).append(entry)
            return []
        lost: list[Entry] = []
        while len(self._fifo) >= self.depth:
            lost.append(self._fifo.popleft())
        self._fifo.append(entry)
        if lost and not self._flags.get(OVERFLOW):
            overflow = Entry(code=OVERFLOW, event="exception_buffer_overflow")
            self._flags[OVERFLOW] = deque([overflow])
        return lost

    def head(self, now: float) -> Entry | None:
        """The exception to report now: the first pending flag, else the FIFO head."""
        for code in PRIORITY_ORDER:
            for entry in self._flags.get(code, ()):
                if entry.repeat_at is None or now >= entry.repeat_at:
                    return entry
        for code, entries in self._flags.items():  # priority codes outside the order list
            if code not in PRIORITY_ORDER and entries:
                return entries[0]
        return self._fifo[0] if self._fifo else None

    def acknowledge(self, entry: Entry, now: float) -> bool:
        """The host acknowledged ``entry``; True the first time (for the ledger).

        False too when ``entry`` is no longer queued: an overflow lost it while
        its report was on the wire, and the ledger already says it was dropped.
        """
        if not self._holds(entry):
            return False
        first = not entry.acked
        entry.acked = True
        if entry.code in SERVICED_BY:
            entry.repeat_at = now + self.repeat_after
        else:
            self._remove(entry)
        return first

    def service(self, command: int) -> None:
        """The host read long poll ``command``: the flags it services are done."""
        for code, commands in SERVICED_BY.items():
            entries = self._flags.get(code)
            if command in commands and entries:
                entries.popleft()

    def _holds(self, entry: Entry) -> bool:
        queued = (*self._flags.get(entry.code, ()), *self._fifo)
        return any(held is entry for held in queued)

    def _remove(self, entry: Entry) -> None:
        entries = self._flags.get(entry.code)
        if entries and entry in entries:
            entries.remove(entry)
        else:  # ``acknowledge`` checked that it is queued
            self._fifo.remove(entry)
