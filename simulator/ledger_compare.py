"""Compare what the machines reported (the ledger) with what arrived upstream.

Upstream events are canonical event envelopes (docs/events.md,
"Events"). Only events born from a machine's event report are compared:
those whose ``raw.code`` is an integer and whose ``raw`` has no ``longpoll``
key (data read by a long poll after the report, link events such as
online/offline and the agent's own alarms are skipped). Upstream events are
NOT deduplicated by ``id`` here: a consumer that deduplicates does it before,
and two upstream events for one ledger event are reported as a duplicate.

Matching, per machine (every ledger event and every upstream event lands in
exactly one bucket):

1. Upstream events are taken in upstream order: by their ``seq`` when every
   one has a ``seq``, otherwise in the order given.
2. The codes of the machine's acknowledged and pending ledger events (an
   event may be upstream before the machine saw the ack), in seq order, are
   aligned with the codes of its upstream events by a longest common
   subsequence: the aligned pairs are ``matched`` in order. Where several
   alignments are as long, the one left over is the later one: in a run of
   equal codes the last events of the run are the ones lost, pending or
   duplicated, so an upstream copy of an event is the duplicate, not the
   original, and events upstream has not delivered yet read as ``pending``.
3. What is left over is paired by code, earliest with earliest: an upstream
   event and a ledger event of the same code are ``matched`` and
   ``out_of_order`` (the alignment could not keep both in order). Then the
   matches of each code are paired in order (the k-th of the code in the
   ledger with the k-th upstream) when that keeps as many in order, so that
   an event that moved past another of its code keeps its own upstream
   event; and the out-of-order matches are those outside a longest in-order
   set, preferring to keep the ones that arrived first. So two adjacent
   events of different codes that trade places are exactly one out-of-order
   match: the earlier ledger event, which arrived after the one that
   followed it. An event that moved two or more places, past no event of its
   own code, is the one named.
4. A leftover upstream event whose code the machine only has left among the
   events it dropped itself takes the earliest of them (the machine may drop
   an event it already reported); such a match is ``matched`` and takes no
   part in the order check.
5. Any other leftover upstream event is ``duplicated`` if the machine's
   ledger has events of its code (one more than the ledger reported), and
   ``unexpected`` if it has none or the machine is not in the ledger.
6. Ledger events left unmatched are ``lost`` if acknowledged (the host took
   them and they never arrived), ``pending`` if not (the machine still holds
   them) and ``dropped_by_machine`` if the machine dropped them.

``ok`` means nothing lost, duplicated, out of order or unexpected. Events
of one code are told apart only by where they sit, so a few readings stay
open and the rules above pick one: a lost acked event right before a pending
one of its code reads as the pending one not arrived yet, and a copy of an
event can be taken for a pending event of its code arriving early (in order
or not) or for an event the machine dropped.
"""

from __future__ import annotations

import bisect
import json
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from simulator.ledger import EntryState, Ledger, LedgerEntry, LedgerFormatError, read_json_lines

DETAILS_SHOWN = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamEvent:
    """The parts of one upstream event the comparison needs; ``line`` is its 1-based position."""

    machine: str
    code: int
    seq: int | None = None
    id: str | None = None
    event: str | None = None
    line: int = 0

    @property
    def label(self) -> str:
        if self.id is not None:
            return self.id
        return f"seq {self.seq}" if self.seq is not None else f"#{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "code": self.code,
            "event": self.event,
            "line": self.line,
        }


def _optional(obj: Mapping[str, Any], key: str, kind: type) -> Any:
    value = obj.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise LedgerFormatError(f"field {key!r} must be {kind.__name__} or absent, got {value!r}")
    return value


def _upstream_event(obj: object, line: int) -> UpstreamEvent | None:
    if not isinstance(obj, dict):
        raise LedgerFormatError(f"expected a JSON object, got {type(obj).__name__}")
    raw = obj.get("raw")
    if not isinstance(raw, dict) or "longpoll" in raw:
        return None
    code = raw.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    machine = obj.get("machine")
    if not isinstance(machine, str):
        raise LedgerFormatError(f"field 'machine' must be str, got {machine!r}")
    return UpstreamEvent(
        machine=machine,
        code=code,
        seq=_optional(obj, "seq", int),
        id=_optional(obj, "id", str),
        event=_optional(obj, "event", str),
        line=line,
    )


def _upstream(numbered: Iterable[tuple[int, object]], path: Path | None) -> list[UpstreamEvent]:
    events: list[UpstreamEvent] = []
    for line, obj in numbered:
        try:
            event = _upstream_event(obj, line)
        except LedgerFormatError as exc:
            raise LedgerFormatError(exc.reason, path=path, line=line) from None
        if event is not None:
            events.append(event)
    return events


def upstream_from_json(objs: Iterable[object]) -> list[UpstreamEvent]:
    """The comparable events among decoded envelopes, in the given order."""
    return _upstream(enumerate(objs, start=1), path=None)


def read_upstream(path: Path) -> list[UpstreamEvent]:
    """The comparable events of a JSON-lines file of envelopes (a torn last line is ignored)."""
    values, _torn = read_json_lines(path)
    return _upstream(values, path)


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True, kw_only=True)
class Counts:
    matched: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    unexpected: int = 0
    pending: int = 0
    dropped_by_machine: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.out_of_order or self.unexpected)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def to_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    entry: LedgerEntry
    upstream: UpstreamEvent
    out_of_order: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineReport:
    machine: str
    in_ledger: bool = True
    matched: tuple[Match, ...] = ()
    lost: tuple[LedgerEntry, ...] = ()
    duplicated: tuple[UpstreamEvent, ...] = ()
    unexpected: tuple[UpstreamEvent, ...] = ()
    pending: tuple[LedgerEntry, ...] = ()
    dropped_by_machine: tuple[LedgerEntry, ...] = ()

    @property
    def out_of_order(self) -> tuple[Match, ...]:
        return tuple(match for match in self.matched if match.out_of_order)

    @property
    def counts(self) -> Counts:
        return Counts(
            matched=len(self.matched),
            lost=len(self.lost),
            duplicated=len(self.duplicated),
            out_of_order=len(self.out_of_order),
            unexpected=len(self.unexpected),
            pending=len(self.pending),
            dropped_by_machine=len(self.dropped_by_machine),
        )

    @property
    def ok(self) -> bool:
        return self.counts.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "in_ledger": self.in_ledger,
            "ok": self.ok,
            "counts": self.counts.to_dict(),
            "lost": [entry.seq for entry in self.lost],
            "pending": [entry.seq for entry in self.pending],
            "dropped_by_machine": [entry.seq for entry in self.dropped_by_machine],
            "duplicated": [event.to_dict() for event in self.duplicated],
            "unexpected": [event.to_dict() for event in self.unexpected],
            "out_of_order": [
                {"ledger_seq": match.entry.seq, "upstream": match.upstream.to_dict()}
                for match in self.out_of_order
            ],
        }

    def problems(self) -> list[str]:
        """One phrase per kind of problem, each listing the first few culprits."""
        phrases: list[str] = []
        for name, labels in (
            ("lost", [f"seq {entry.seq}" for entry in self.lost]),
            ("duplicated", [event.label for event in self.duplicated]),
            (
                "out of order",
                [f"seq {m.entry.seq} ({m.upstream.label})" for m in self.out_of_order],
            ),
            ("unexpected", [f"{event.label} (code {event.code})" for event in self.unexpected]),
        ):
            if labels:
                more = len(labels) - DETAILS_SHOWN
                tail = f", ... (+{more} more)" if more > 0 else ""
                phrases.append(f"{name} {', '.join(labels[:DETAILS_SHOWN])}{tail}")
        return phrases


_COLUMNS = (
    ("matched", "matched"),
    ("lost", "lost"),
    ("duplicated", "dup"),
    ("out_of_order", "order"),
    ("unexpected", "unexp"),
    ("pending", "pending"),
    ("dropped_by_machine", "dropped"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComparisonReport:
    machines: Mapping[str, MachineReport]

    @property
    def totals(self) -> Counts:
        return sum((report.counts for report in self.machines.values()), Counts())

    @property
    def ok(self) -> bool:
        return self.totals.ok

    def summary(self) -> str:
        """A table with a row per machine and a total, a verdict, then the culprits."""
        width = max([len("machine"), *(len(name) for name in self.machines)]) + 2
        header = "machine".ljust(width) + "".join(f"{title:>9}" for _, title in _COLUMNS)
        lines = [header]

        def row(name: str, counts: Counts, flag: str) -> str:
            values = counts.to_dict()
            cells = "".join(f"{values[key]:>9}" for key, _ in _COLUMNS)
            return f"{name.ljust(width)}{cells}  {flag}".rstrip()

        for name, report in self.machines.items():
            lines.append(row(name, report.counts, "" if report.ok else "FAIL"))
        totals = self.totals
        lines.append(row("total", totals, ""))
        if totals.ok:
            lines.append(
                f"OK: {len(self.machines)} machines, no event lost, duplicated, "
                "out of order or unexpected"
            )
            return "\n".join(lines)
        counts = totals.to_dict()
        verdict = ", ".join(
            f"{counts[key]} {key.replace('_', ' ')}" for key in _FAILURES if counts[key]
        )
        lines.append(f"FAIL: {verdict}")
        for name, report in self.machines.items():
            if not report.in_ledger:
                lines.append(f"  {name} (not in the ledger): {'; '.join(report.problems())}")
            elif not report.ok:
                lines.append(f"  {name}: {'; '.join(report.problems())}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "totals": self.totals.to_dict(),
            "machines": {name: report.to_dict() for name, report in self.machines.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)


_FAILURES = ("lost", "duplicated", "out_of_order", "unexpected")


# --------------------------------------------------------------------------- matching


def compare(ledger: Ledger, upstream: Iterable[UpstreamEvent]) -> ComparisonReport:
    """Match upstream events to ledger events, machine by machine (rules in the docstring)."""
    events = list(upstream)
    if all(event.seq is not None for event in events):
        events.sort(key=lambda event: event.seq or 0)
    per_machine: dict[str, list[UpstreamEvent]] = {}
    for event in events:
        per_machine.setdefault(event.machine, []).append(event)
    reports: dict[str, MachineReport] = {}
    for name in sorted(set(ledger.machines) | set(per_machine)):
        arrived = per_machine.get(name, [])
        if name in ledger.machines:
            reports[name] = _compare_machine(name, ledger.entries(name), arrived)
        else:
            reports[name] = MachineReport(machine=name, in_ledger=False, unexpected=tuple(arrived))
    return ComparisonReport(machines=reports)


def _compare_machine(
    machine: str, entries: tuple[LedgerEntry, ...], arrived: list[UpstreamEvent]
) -> MachineReport:
    live = [p for p, entry in enumerate(entries) if entry.state is not EntryState.DROPPED]
    aligned = _common_subsequence([entries[p].code for p in live], [e.code for e in arrived])
    partner = {live[i]: j for i, j in aligned}  # ledger position -> upstream index
    spare: dict[int, deque[int]] = {}  # code -> positions of unmatched acked/pending entries
    dropped: dict[int, deque[int]] = {}  # code -> positions of unmatched dropped entries
    for position, entry in enumerate(entries):
        if position not in partner:
            queues = dropped if entry.state is EntryState.DROPPED else spare
            queues.setdefault(entry.code, deque()).append(position)
    in_step = {j for _, j in aligned}
    fallback: dict[int, int] = {}  # upstream index -> position of a dropped entry
    moved: set[int] = set()  # codes with out-of-order matches
    duplicated: list[UpstreamEvent] = []
    unexpected: list[UpstreamEvent] = []
    codes = {entry.code for entry in entries}
    for j, event in enumerate(arrived):
        if j in in_step:
            continue
        if queue := spare.get(event.code):
            partner[queue.popleft()] = j
            moved.add(event.code)
        elif queue := dropped.get(event.code):
            fallback[j] = queue.popleft()
        elif event.code in codes:
            duplicated.append(event)
        else:
            unexpected.append(event)
    for code in sorted(moved):
        _pair_in_order(partner, [p for p in sorted(partner) if entries[p].code == code])
    ordered = sorted(partner)
    kept = {ordered[k] for k in _longest_increasing([partner[p] for p in ordered])}
    matches = [
        (j, Match(entry=entries[p], upstream=arrived[j], out_of_order=p not in kept))
        for p, j in partner.items()
    ]
    matches += [(j, Match(entry=entries[p], upstream=arrived[j])) for j, p in fallback.items()]
    taken = set(partner) | set(fallback.values())
    left = [entry for position, entry in enumerate(entries) if position not in taken]
    return MachineReport(
        machine=machine,
        matched=tuple(match for _, match in sorted(matches, key=lambda item: item[0])),
        lost=tuple(entry for entry in left if entry.state is EntryState.ACKED),
        duplicated=tuple(duplicated),
        unexpected=tuple(unexpected),
        pending=tuple(entry for entry in left if entry.state is EntryState.PENDING),
        dropped_by_machine=tuple(entry for entry in left if entry.state is EntryState.DROPPED),
    )


def _pair_in_order(partner: dict[int, int], positions: list[int]) -> None:
    """Pair the ledger ``positions`` (one code, ascending) with their upstream events in order.

    Kept only if as many matches stay in order as before (not always so: an
    in-order pairing within one code can cross pairs of other codes).
    """
    before = {p: partner[p] for p in positions}
    in_order = len(_longest_increasing([partner[p] for p in sorted(partner)]))
    partner.update(zip(positions, sorted(before.values()), strict=True))
    if len(_longest_increasing([partner[p] for p in sorted(partner)])) < in_order:
        partner.update(before)


def _longest_increasing(values: Sequence[int]) -> list[int]:
    """Indexes of a longest strictly increasing subsequence of ``values``, ascending.

    Patience sorting, O(n log n). Of the longest ones it returns the one
    ending on the lowest value, each element preceded by the lowest value
    before it: of two values out of order it keeps the lower one (for
    upstream indexes, the event that arrived first).
    """
    tops: list[int] = []  # lowest last value of an increasing run of each length
    ends: list[int] = []  # the index of that value
    before = [-1] * len(values)
    for index, value in enumerate(values):
        length = bisect.bisect_left(tops, value)
        before[index] = ends[length - 1] if length else -1
        if length == len(tops):
            tops.append(value)
            ends.append(index)
        else:
            tops[length] = value
            ends[length] = index
    chain: list[int] = []
    index = ends[-1] if ends else -1
    while index >= 0:
        chain.append(index)
        index = before[index]
    return chain[::-1]


def _common_subsequence(a: Sequence[int], b: Sequence[int]) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ascending, of a longest common subsequence of ``a`` and ``b``.

    Bit-parallel LCS (Allison-Dix, Hyyrö): one big-int row per element of
    ``b``, a bit per element of ``a``, so O(len(a) * len(b) / 64) word
    operations whatever the two have in common. Bit ``i`` of row ``j`` is
    clear when ``lcs(a[:i + 1], b[:j]) > lcs(a[:i], b[:j])``, so the length
    of the LCS of ``a[:i]`` and ``b[:j]`` is ``i`` minus the set bits of row
    ``j`` below ``i``. The walk back from the ends leaves ``a``'s last
    element out when a longest alignment allows it, else ``b``'s, else pairs
    them: what is left over is as late as the lengths allow, ``a`` first.
    """
    masks: dict[int, int] = {}
    for i, code in enumerate(a):
        masks[code] = masks.get(code, 0) | 1 << i
    full = (1 << len(a)) - 1
    rows = [full]
    for code in b:
        row = rows[-1]
        step = row & masks.get(code, 0)
        rows.append(((row + step) | (row - step)) & full)

    def length(i: int, j: int) -> int:
        return i - (rows[j] & ((1 << i) - 1)).bit_count()

    pairs: list[tuple[int, int]] = []
    i, j = len(a), len(b)
    here = length(i, j)
    while here:
        if rows[j] >> (i - 1) & 1:  # length(i - 1, j) == here
            i -= 1
        elif length(i, j - 1) == here:
            j -= 1
        else:
            i, j, here = i - 1, j - 1, here - 1
            pairs.append((i, j))
    return pairs[::-1]
