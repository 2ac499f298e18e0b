"""The ledger: what every simulated machine reported, the ground truth of zero-loss tests.

Each simulated machine records every event it reported, in order, with what
it carried, then whether the host acknowledged it or the machine lost it
itself. ``ledger_compare.py`` compares that with what arrived upstream;
``python -m simulator.ledger compare LEDGER UPSTREAM`` does it from the shell.

Format: JSON lines, UTF-8, one record per line, keys sorted, compact. The
file is append-only, so an acknowledgement is a record of its own::

    {"address":1,"at":1700000000.0,"machine":"sim-001","protocol":"sas","type":"start"}
    {"at":1700000000.1,"code":81,"data":{"amount_credits":1500},"event":"handpay_pending",...
    {"at":1700000000.3,"machine":"sim-001","seq":17,"type":"ack"}
    {"at":1700000000.4,"machine":"sim-001","reason":"fifo_overflow","seq":18,"type":"dropped"}

- ``event`` (also ``"machine":"sim-001","seq":17``): the machine reported its
  event ``seq`` (from 1, strictly increasing per machine); ``code`` is the
  protocol's code (SAS exception code), ``event`` the protocol-neutral kind
  and ``data`` what it carried.
- ``ack``: the host acknowledged it; the machine dropped it from its queue.
- ``dropped``: the machine itself lost it (FIFO overflow): not a host loss.
- ``start`` (optional): the machine came up with this protocol and address.

The reader enforces (else ``LedgerFormatError`` with file and line): each
line is a JSON object of a known type with well-typed fields (extra keys
are ignored); event seqs increase strictly per machine; an ``ack`` or
``dropped`` names an earlier, still pending event of the same machine. Only
the last line may be torn (no newline, not JSON: the writer died mid-line);
it is ignored and its number kept in ``Ledger.torn_tail_line``.

One writer serves all the machines of a simulator: one open file,
line-buffered (each record reaches the OS as one whole line), no fsync per
line; ``flush()`` is the explicit durability point. A torn last line left by
a crash is cut off before appending. The writer only checks that event seqs
increase per machine during its lifetime: use a fresh file per run unless
the machines continue their seqs.
"""

from __future__ import annotations

import enum
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Self, TextIO


@dataclass(frozen=True, slots=True, kw_only=True)
class StartRecord:
    TYPE: ClassVar[str] = "start"
    machine: str
    protocol: str
    address: int
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord:
    TYPE: ClassVar[str] = "event"
    machine: str
    seq: int
    code: int
    event: str
    data: dict[str, Any] = field(default_factory=dict)
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AckRecord:
    TYPE: ClassVar[str] = "ack"
    machine: str
    seq: int
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DroppedRecord:
    TYPE: ClassVar[str] = "dropped"
    machine: str
    seq: int
    reason: str
    at: float


Record = StartRecord | EventRecord | AckRecord | DroppedRecord
Kind = type | tuple[type, ...]
_SCHEMAS: dict[str, tuple[type[Record], dict[str, Kind]]] = {
    "start": (StartRecord, {"protocol": str, "address": int}),
    "event": (EventRecord, {"seq": int, "code": int, "event": str, "data": dict}),
    "ack": (AckRecord, {"seq": int}),
    "dropped": (DroppedRecord, {"seq": int, "reason": str}),
}


class LedgerFormatError(ValueError):
    """A ledger or upstream file (or record list) that does not follow the format."""

    def __init__(self, reason: str, *, path: Path | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        where = f"{path}" if path is not None else "record"
        super().__init__(f"{where}:{line}: {reason}" if line is not None else f"{where}: {reason}")


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False).encode
_FIELDS = {cls: tuple(item.name for item in fields(cls)) for cls, _ in _SCHEMAS.values()}


def record_to_json(record: Record) -> str:
    """The record as one line of the file, without the newline."""
    obj = {name: getattr(record, name) for name in _FIELDS[type(record)]}
    obj["type"] = record.TYPE
    return _ENCODE(obj)


def _field(obj: Mapping[str, Any], key: str, kind: Kind) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        name = kind.__name__ if isinstance(kind, type) else "number"
        raise LedgerFormatError(f"field {key!r} must be {name}, got {value!r}")
    return value


def record_from_json(obj: object) -> Record:
    """The record a decoded line holds (LedgerFormatError without file and line if none)."""
    if not isinstance(obj, dict):
        raise LedgerFormatError(f"expected a JSON object, got {type(obj).__name__}")
    kind = obj.get("type")
    if kind not in _SCHEMAS:
        raise LedgerFormatError(f"unknown record type {kind!r}")
    cls, schema = _SCHEMAS[kind]
    values = {key: _field(obj, key, expected) for key, expected in schema.items()}
    if values.get("seq", 1) < 1:
        raise LedgerFormatError(f"field 'seq' must be >= 1, got {values['seq']}")
    machine = _field(obj, "machine", str)
    return cls(machine=machine, at=float(_field(obj, "at", (int, float))), **values)


def _cut_torn_tail(path: Path) -> None:
    """Cut a last line without its newline (a crash mid-write) so appends start clean."""
    try:
        handle = path.open("r+b")
    except FileNotFoundError:
        return
    with handle:
        end = handle.seek(0, os.SEEK_END)
        pos = end
        while pos > 0:
            start = max(0, pos - 4096)
            handle.seek(start)
            chunk = handle.read(pos - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                pos = start + newline + 1
                break
            pos = start
        if pos != end:
            handle.truncate(pos)


class LedgerWriter:
    """Appends records for many machines to one file (or to ``records`` when path is None)."""

    def __init__(self, path: Path | None, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._last_seq: dict[str, int] = {}
        self._records: list[Record] = []
        self._file: TextIO | None = None
        self._closed = False
        if path is not None:
            _cut_torn_tail(path)
            self._file = path.open("a", encoding="utf-8", buffering=1)

    @property
    def records(self) -> Sequence[Record]:
        """Everything written, in order (kept only by an in-memory writer)."""
        return tuple(self._records)

    def start(self, machine: str, protocol: str, address: int) -> None:
        at = self._clock()
        self._write(StartRecord(machine=machine, protocol=protocol, address=address, at=at))

    def event(
        self,
        machine: str,
        seq: int,
        code: int,
        event: str,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        with self._lock:
            last = self._last_seq.get(machine, 0)
            if seq <= last:
                raise ValueError(f"{machine}: event seq {seq} does not follow {last}")
            record = EventRecord(
                machine=machine,
                seq=seq,
                code=code,
                event=event,
                data=dict(data or {}),
                at=self._clock(),
            )
            self._write_locked(record)
            self._last_seq[machine] = seq

    def ack(self, machine: str, seq: int) -> None:
        self._write(AckRecord(machine=machine, seq=seq, at=self._clock()))

    def dropped(self, machine: str, seq: int, reason: str) -> None:
        self._write(DroppedRecord(machine=machine, seq=seq, reason=reason, at=self._clock()))

    def flush(self) -> None:
        """Push written lines to the OS and to the disk (the one fsync the writer does)."""
        with self._lock:
            if self._file is not None and not self._closed:
                self._file.flush()
                os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None and not self._closed:
                self._file.close()
            self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _write(self, record: Record) -> None:
        with self._lock:
            self._write_locked(record)

    def _write_locked(self, record: Record) -> None:
        if self._closed:
            raise ValueError("ledger writer is closed")
        line = record_to_json(record)
        if self._file is None:
            self._records.append(record)
        else:
            self._file.write(line + "\n")


class EntryState(enum.Enum):
    ACKED = "acked"
    PENDING = "pending"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    """One reported event and what became of it."""

    machine: str
    seq: int
    code: int
    event: str
    data: Mapping[str, Any]
    at: float
    acked_at: float | None = None
    dropped_at: float | None = None
    dropped_reason: str | None = None

    @property
    def state(self) -> EntryState:
        if self.acked_at is not None:
            return EntryState.ACKED
        if self.dropped_at is not None:
            return EntryState.DROPPED
        return EntryState.PENDING


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineLedger:
    machine: str
    entries: tuple[LedgerEntry, ...]
    protocol: str | None = None
    address: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ledger:
    """Entries grouped per machine (machines sorted by name), each in seq order."""

    machines: Mapping[str, MachineLedger]
    torn_tail_line: int | None = None

    def entries(self, machine: str) -> tuple[LedgerEntry, ...]:
        found = self.machines.get(machine)
        return found.entries if found is not None else ()

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> Ledger:
        """Build from records; a LedgerFormatError names the 1-based record number."""
        return _build(enumerate(records, start=1), path=None)


def _build(
    numbered: Iterable[tuple[int, Record]], *, path: Path | None, torn: int | None = None
) -> Ledger:
    reported: dict[str, dict[int, EventRecord]] = {}  # insertion order == seq order
    settled: dict[tuple[str, int], AckRecord | DroppedRecord] = {}
    starts: dict[str, StartRecord] = {}
    for line, record in numbered:
        mine = reported.setdefault(record.machine, {})
        if isinstance(record, StartRecord):
            starts[record.machine] = record
        elif isinstance(record, EventRecord):
            last = next(reversed(mine), 0)
            if record.seq <= last:
                reason = f"{record.machine}: event seq {record.seq} does not follow {last}"
                raise LedgerFormatError(reason, path=path, line=line)
            mine[record.seq] = record
        else:
            what = f"{record.machine}: {record.TYPE} of seq {record.seq}"
            if record.seq not in mine:
                raise LedgerFormatError(f"{what}, which was never reported", path=path, line=line)
            if (before := settled.get((record.machine, record.seq))) is not None:
                state = "acked" if isinstance(before, AckRecord) else "dropped"
                raise LedgerFormatError(f"{what}, already {state}", path=path, line=line)
            settled[record.machine, record.seq] = record
    machines = {
        name: MachineLedger(
            machine=name,
            entries=tuple(_entry(event, settled.get((name, seq))) for seq, event in events.items()),
            protocol=starts[name].protocol if name in starts else None,
            address=starts[name].address if name in starts else None,
        )
        for name, events in sorted(reported.items())
    }
    return Ledger(machines=machines, torn_tail_line=torn)


def _entry(event: EventRecord, outcome: AckRecord | DroppedRecord | None) -> LedgerEntry:
    dropped = outcome if isinstance(outcome, DroppedRecord) else None
    return LedgerEntry(
        machine=event.machine,
        seq=event.seq,
        code=event.code,
        event=event.event,
        data=event.data,
        at=event.at,
        acked_at=outcome.at if isinstance(outcome, AckRecord) else None,
        dropped_at=dropped.at if dropped is not None else None,
        dropped_reason=dropped.reason if dropped is not None else None,
    )


def read_json_lines(path: Path) -> tuple[list[tuple[int, Any]], int | None]:
    """(line number, decoded value) of every line, and the number of a torn last line.

    A last line without its newline that is not valid JSON is torn and left
    out; any other line that is not valid UTF-8 JSON is a LedgerFormatError.
    """
    values: list[tuple[int, Any]] = []
    torn: int | None = None
    with path.open("rb") as handle:
        lines: Iterator[bytes] = iter(handle)
        for number, raw in enumerate(lines, start=1):
            try:
                values.append((number, json.loads(raw.decode("utf-8"))))
            except ValueError as exc:
                if raw.endswith(b"\n"):
                    raise LedgerFormatError(
                        f"not a JSON line ({exc})", path=path, line=number
                    ) from exc
                torn = number
    return values, torn


def read_ledger(path: Path) -> Ledger:
    """Read and check a ledger file (OSError if unreadable, LedgerFormatError if malformed)."""
    values, torn = read_json_lines(path)

    def records() -> Iterator[tuple[int, Record]]:
        for number, value in values:
            try:
                record = record_from_json(value)
            except LedgerFormatError as exc:
                raise LedgerFormatError(exc.reason, path=path, line=number) from None
            yield number, record

    return _build(records(), path=path, torn=torn)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m simulator.ledger``: see ``simulator.ledger_cli``."""
    from simulator.ledger_cli import main as cli_main  # noqa: PLC0415 (the CLI imports us)

    return cli_main(argv)


if __name__ == "__main__":  # pragma: no cover (run in a subprocess by the tests)
    sys.exit(main())
