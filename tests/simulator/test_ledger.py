"""The ledger (simulator/ledger.py), its comparison with upstream and its command line.

Examples first (loss, duplicate, reordering, pending, dropped, early
delivery, unexpected, filtering, culprits named in repeating codes), then the
file format (round trip, torn tail, malformed lines), then properties over
random ledgers with pending tails: a faithful upstream copy is ok, k
deletions / k duplicates / one swap are found and named, and the alignment
helpers agree with brute force.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulator import ledger as ledger_module
from simulator.ledger import (
    AckRecord,
    EntryState,
    EventRecord,
    Ledger,
    LedgerEntry,
    LedgerFormatError,
    LedgerWriter,
    StartRecord,
    read_ledger,
    record_from_json,
    record_to_json,
)
from simulator.ledger_cli import main
from simulator.ledger_compare import (
    ComparisonReport,
    Counts,
    MachineReport,
    UpstreamEvent,
    _common_subsequence,
    _longest_increasing,
    compare,
    read_upstream,
    upstream_from_json,
)

ROOT = Path(__file__).resolve().parents[2]
DOOR_OPENED, DOOR_CLOSED, BILL, HANDPAY, GAME_START = 0x11, 0x12, 0x4F, 0x51, 0x7E
CODES = (DOOR_OPENED, DOOR_CLOSED, BILL, HANDPAY, GAME_START)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


@dataclass(frozen=True, slots=True)
class Spec:
    """One machine's reports: (code, state) in seq order; state is acked/pending/dropped."""

    machine: str
    reports: tuple[tuple[int, EntryState], ...]


def write(writer: LedgerWriter, specs: Iterable[Spec]) -> None:
    for spec in specs:
        writer.start(spec.machine, "sas", int(spec.machine[-3:]))
        for seq, (code, state) in enumerate(spec.reports, start=1):
            writer.event(spec.machine, seq, code, f"kind_{code}", {"amount_credits": seq})
            if state is EntryState.ACKED:
                writer.ack(spec.machine, seq)
            elif state is EntryState.DROPPED:
                writer.dropped(spec.machine, seq, "fifo_overflow")


def make_ledger(*specs: Spec) -> Ledger:
    writer = LedgerWriter(None, clock=Clock())
    write(writer, specs)
    return Ledger.from_records(writer.records)


def envelope(machine: str, code: int, seq: int, **raw: Any) -> dict[str, Any]:
    return {
        "id": f"floor-1:{seq:012d}",
        "seq": seq,
        "event": "doorOpened",
        "channel": "entries",
        "machine": machine,
        "protocol": "sas",
        "replayed": False,
        "raw": {"protocol": "sas", "code": code, **raw},
    }


def faithful(ledger: Ledger, *, pending: bool = False) -> list[tuple[str, int]]:
    """(machine, code) of every acked (and optionally pending) event, machine by machine."""
    wanted = {EntryState.ACKED} | ({EntryState.PENDING} if pending else set())
    return [
        (name, entry.code)
        for name, machine in ledger.machines.items()
        for entry in machine.entries
        if entry.state in wanted
    ]


def publish(pairs: Sequence[tuple[str, int]], first_seq: int = 1) -> list[UpstreamEvent]:
    envelopes = [envelope(m, code, seq) for seq, (m, code) in enumerate(pairs, start=first_seq)]
    return upstream_from_json(envelopes)


A, P, D = EntryState.ACKED, EntryState.PENDING, EntryState.DROPPED
TWO_MACHINES = (
    Spec("sim-001", ((DOOR_OPENED, A), (BILL, A), (DOOR_CLOSED, A), (BILL, A))),
    Spec("sim-002", ((GAME_START, A), (HANDPAY, A), (GAME_START, A))),
)


# --------------------------------------------------------------------------- comparison


def test_a_clean_run_is_ok() -> None:
    ledger = make_ledger(*TWO_MACHINES)
    report = compare(ledger, publish(faithful(ledger)))
    assert report.ok
    assert report.totals == Counts(matched=7)
    assert report.machines["sim-002"].counts == Counts(matched=3)
    assert report.summary().splitlines()[-1].startswith("OK: 2 machines")


def test_an_injected_loss_is_found_on_its_machine() -> None:
    ledger = make_ledger(*TWO_MACHINES)
    pairs = faithful(ledger)
    del pairs[5]  # sim-002's handpay (its seq 2)
    report = compare(ledger, publish(pairs))
    assert not report.ok
    assert report.machines["sim-001"].ok
    lost = report.machines["sim-002"].lost
    assert [(entry.seq, entry.code) for entry in lost] == [(2, HANDPAY)]
    assert report.totals == Counts(matched=6, lost=1)


def test_a_duplicate_is_found_on_its_machine() -> None:
    ledger = make_ledger(*TWO_MACHINES)
    pairs = faithful(ledger)
    pairs.insert(2, pairs[1])  # sim-001's bill published twice, under two ids
    report = compare(ledger, publish(pairs))
    dup = report.machines["sim-001"].duplicated
    # The copy (upstream seq 3, right after the original) is the extra one, and nothing moved.
    assert [event.seq for event in dup] == [3]
    assert not report.machines["sim-001"].out_of_order
    assert report.totals.duplicated == 1
    assert report.machines["sim-002"].ok


def test_a_duplicate_at_the_end_of_a_code_is_reported_as_such() -> None:
    ledger = make_ledger(Spec("sim-001", ((DOOR_OPENED, A), (BILL, A))))
    report = compare(ledger, publish([("sim-001", DOOR_OPENED), ("sim-001", DOOR_OPENED)]))
    machine = report.machines["sim-001"]
    assert [e.seq for e in machine.duplicated] == [2]
    assert [e.seq for e in machine.lost] == [2]


def test_a_reordering_is_found_on_its_machine() -> None:
    ledger = make_ledger(*TWO_MACHINES)
    pairs = faithful(ledger)
    pairs[4], pairs[5] = pairs[5], pairs[4]  # sim-002: handpay before the game start
    report = compare(ledger, publish(pairs))
    machine = report.machines["sim-002"]
    assert [(m.entry.seq, m.upstream.seq) for m in machine.out_of_order] == [(1, 6)]
    assert machine.counts == Counts(matched=3, out_of_order=1)
    assert report.machines["sim-001"].ok
    assert not report.ok


def test_pending_and_dropped_by_machine_are_not_losses() -> None:
    ledger = make_ledger(Spec("sim-001", ((DOOR_OPENED, A), (BILL, D), (BILL, A), (HANDPAY, P))))
    report = compare(ledger, publish([("sim-001", DOOR_OPENED), ("sim-001", BILL)]))
    machine = report.machines["sim-001"]
    assert report.ok
    assert machine.counts == Counts(matched=2, pending=1, dropped_by_machine=1)
    assert [entry.seq for entry in machine.pending] == [4]
    assert [entry.seq for entry in machine.dropped_by_machine] == [2]
    assert machine.dropped_by_machine[0].dropped_reason == "fifo_overflow"


def test_an_event_upstream_before_its_ack_is_matched() -> None:
    ledger = make_ledger(Spec("sim-001", ((DOOR_OPENED, A), (HANDPAY, P))))
    report = compare(ledger, publish([("sim-001", DOOR_OPENED), ("sim-001", HANDPAY)]))
    assert report.ok
    assert report.totals == Counts(matched=2)


def test_an_event_the_machine_dropped_after_reporting_it_is_matched() -> None:
    ledger = make_ledger(Spec("sim-001", ((BILL, D), (DOOR_OPENED, A))))
    report = compare(ledger, publish([("sim-001", BILL), ("sim-001", DOOR_OPENED)]))
    assert report.ok
    assert report.totals == Counts(matched=2)
    assert not report.machines["sim-001"].out_of_order


def test_unknown_codes_and_machines_are_unexpected() -> None:
    ledger = make_ledger(Spec("sim-001", ((DOOR_OPENED, A),)), Spec("sim-002", ()))
    pairs = [("sim-001", DOOR_OPENED), ("sim-001", 0x99), ("sim-404", DOOR_OPENED)]
    report = compare(ledger, publish(pairs))
    assert report.machines["sim-001"].counts == Counts(matched=1, unexpected=1)
    stranger = report.machines["sim-404"]
    assert not stranger.in_ledger
    assert stranger.counts == Counts(unexpected=1)
    assert report.machines["sim-002"].counts == Counts()
    assert report.totals.unexpected == 2
    summary = report.summary()
    assert "sim-404 (not in the ledger): unexpected floor-1:000000000003 (code 17)" in summary
    assert "sim-001: unexpected floor-1:000000000002 (code 153)" in summary


def test_only_events_born_from_an_event_report_count() -> None:
    objs: list[dict[str, Any]] = [
        envelope("sim-001", DOOR_OPENED, 1),
        envelope("sim-001", HANDPAY, 2, longpoll=0x1B),  # data read by a long poll
        {"id": "floor-1:3", "seq": 3, "event": "offline", "machine": "sim-001"},
        {"seq": 4, "machine": "sim-001", "raw": {"protocol": "sas"}},
        {"seq": 5, "machine": "sim-001", "raw": {"code": True}},
        {"seq": 6, "machine": "sim-001", "raw": "sas"},
    ]
    assert upstream_from_json(objs) == [
        UpstreamEvent(
            machine="sim-001",
            code=DOOR_OPENED,
            seq=1,
            id="floor-1:000000000001",
            event="doorOpened",
            line=1,
        )
    ]


def test_upstream_is_walked_by_seq_when_every_event_has_one() -> None:
    ledger = make_ledger(Spec("sim-001", ((DOOR_OPENED, A), (DOOR_CLOSED, A))))
    late_first = [envelope("sim-001", DOOR_CLOSED, 8), envelope("sim-001", DOOR_OPENED, 7)]
    assert compare(ledger, upstream_from_json(late_first)).ok
    no_seq = [{**obj, "seq": None} for obj in late_first]
    report = compare(ledger, upstream_from_json(no_seq))
    assert report.totals.out_of_order == 1
    assert "out of order seq 1 (floor-1:000000000007)" in report.summary()


def test_an_upstream_file_is_read_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "upstream.jsonl"
    lines = [
        json.dumps({"event": "online", "machine": "sim-001"}),
        json.dumps(envelope("sim-001", DOOR_OPENED, 5)),
        '{"id": "floor-1:000000000006", "se',  # a capture killed mid-line
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    assert [(e.line, e.seq, e.code) for e in read_upstream(path)] == [(2, 5, DOOR_OPENED)]
    path.write_text(
        "\n".join([lines[0], '{"machine": "sim-001", "raw": {"code": 1}, "seq": 1.5}', ""])
    )
    with pytest.raises(LedgerFormatError, match="field 'seq' must be int") as caught:
        read_upstream(path)
    assert str(caught.value).startswith(f"{path}:2: ")


def test_labels_fall_back_to_seq_then_position() -> None:
    with_seq = UpstreamEvent(machine="m", code=1, seq=4, line=9)
    assert with_seq.label == "seq 4"
    assert UpstreamEvent(machine="m", code=1, line=9).label == "#9"


def test_malformed_upstream_events_are_errors_with_their_position() -> None:
    good = envelope("sim-001", DOOR_OPENED, 1)
    cases: list[tuple[object, str]] = [
        ([1, 2], "expected a JSON object, got list"),
        ({**good, "machine": None}, "field 'machine' must be str"),
        ({**good, "seq": "7"}, "field 'seq' must be int or absent"),
        ({**good, "id": 7}, "field 'id' must be str or absent"),
    ]
    for bad, reason in cases:
        with pytest.raises(LedgerFormatError, match=reason) as caught:
            upstream_from_json([good, bad])
        assert caught.value.line == 2
        assert str(caught.value).startswith("record:2: ")


def test_summary_and_json_list_the_culprits() -> None:
    reports = 8
    ledger = make_ledger(Spec("sim-001", tuple((BILL, A) for _ in range(reports))))
    report = compare(ledger, publish([("sim-001", BILL)]))
    summary = report.summary()
    assert "FAIL: 7 lost\n" in summary
    assert "sim-001: lost seq 2, seq 3, seq 4, seq 5, seq 6, ... (+2 more)" in summary
    header, row, total = summary.splitlines()[:3]
    assert header.split() == [
        "machine",
        "matched",
        "lost",
        "dup",
        "order",
        "unexp",
        "pending",
        "dropped",
    ]
    assert row.split() == ["sim-001", "1", "7", "0", "0", "0", "0", "0", "FAIL"]
    assert total.split() == ["total", "1", "7", "0", "0", "0", "0", "0"]
    decoded = json.loads(report.to_json())
    assert decoded["ok"] is False
    assert decoded["totals"]["lost"] == 7
    assert decoded["machines"]["sim-001"]["lost"] == [2, 3, 4, 5, 6, 7, 8]


def test_json_report_details_every_kind() -> None:
    ledger = make_ledger(
        Spec("sim-001", ((DOOR_OPENED, A), (DOOR_CLOSED, A), (BILL, P), (HANDPAY, D)))
    )
    pairs = [("sim-001", DOOR_CLOSED), ("sim-001", DOOR_OPENED), ("sim-001", DOOR_OPENED)]
    machine = compare(ledger, publish([*pairs, ("sim-001", 0x99)])).to_dict()["machines"]["sim-001"]
    assert machine["counts"] == {
        "matched": 2,
        "lost": 0,
        "duplicated": 1,
        "out_of_order": 1,
        "unexpected": 1,
        "pending": 1,
        "dropped_by_machine": 1,
    }
    assert machine["out_of_order"] == [
        {
            "ledger_seq": 1,
            "upstream": {
                "id": "floor-1:000000000002",
                "seq": 2,
                "code": 17,
                "event": "doorOpened",
                "line": 2,
            },
        }
    ]
    assert [event["seq"] for event in machine["duplicated"]] == [3]
    assert [event["code"] for event in machine["unexpected"]] == [0x99]
    assert machine["pending"] == [3]
    assert machine["dropped_by_machine"] == [4]


def test_an_empty_comparison_is_ok() -> None:
    report = compare(Ledger.from_records([]), [])
    assert report.ok
    assert report == ComparisonReport(machines={})
    assert "OK: 0 machines" in report.summary()


# Ten rounds of door opened, bill, door closed: every code repeats, so matching by code alone
# cannot tell which event of a code is missing, duplicated or late.
PATTERN = tuple(itertools.islice(itertools.cycle((DOOR_OPENED, BILL, DOOR_CLOSED)), 30))


def run_pattern(seqs: Sequence[int]) -> MachineReport:
    """Compare PATTERN (all acked) with upstream events carrying the ledger events ``seqs``."""
    ledger = make_ledger(Spec("sim-001", tuple((code, A) for code in PATTERN)))
    upstream = publish([("sim-001", PATTERN[seq - 1]) for seq in seqs])
    report = compare(ledger, upstream)
    check_invariants(ledger, upstream, report)
    machine = report.machines["sim-001"]
    # Upstream seq k carries ledger event seqs[k - 1]: every match has found its own event.
    assert [seqs[(m.upstream.seq or 0) - 1] for m in machine.matched] == [
        m.entry.seq for m in machine.matched
    ]
    return machine


def test_a_loss_in_repeating_codes_names_that_event() -> None:
    for doomed in range(1, len(PATTERN) + 1):
        report = run_pattern([seq for seq in range(1, len(PATTERN) + 1) if seq != doomed])
        assert [entry.seq for entry in report.lost] == [doomed]
        assert report.counts == Counts(matched=len(PATTERN) - 1, lost=1)


def test_a_duplicate_in_repeating_codes_names_the_copy() -> None:
    for copied in range(1, len(PATTERN) + 1):
        seqs = list(range(1, len(PATTERN) + 1))
        seqs.insert(copied, copied)  # the copy right after the original
        report = run_pattern(seqs)
        assert [event.seq for event in report.duplicated] == [copied + 1]
        assert report.counts == Counts(matched=len(PATTERN), duplicated=1)


def test_adjacent_events_that_trade_places_in_repeating_codes() -> None:
    for first in range(1, len(PATTERN)):
        seqs = list(range(1, len(PATTERN) + 1))
        seqs[first - 1], seqs[first] = seqs[first], seqs[first - 1]
        report = run_pattern(seqs)
        # The earlier ledger event is named: it arrived after the one that followed it.
        assert [(m.entry.seq, m.upstream.seq) for m in report.out_of_order] == [(first, first + 1)]
        assert report.counts == Counts(matched=len(PATTERN), out_of_order=1)


def test_an_event_moved_several_places_is_the_one_named() -> None:
    codes = (DOOR_OPENED, BILL, DOOR_CLOSED, HANDPAY, GAME_START)
    ledger = make_ledger(Spec("sim-001", tuple((code, A) for code in codes)))
    for seqs, named in (([2, 3, 4, 1, 5], (1, 4)), ([1, 4, 2, 3, 5], (4, 2))):
        report = compare(ledger, publish([("sim-001", codes[seq - 1]) for seq in seqs]))
        machine = report.machines["sim-001"]
        assert [(m.entry.seq, m.upstream.seq) for m in machine.out_of_order] == [named]
        assert machine.counts == Counts(matched=5, out_of_order=1)


def test_an_event_that_moved_past_its_own_code_keeps_its_upstream_event() -> None:
    ledger = make_ledger(Spec("sim-001", ((BILL, A), (HANDPAY, A), (HANDPAY, A))))
    pairs = [("sim-001", HANDPAY), ("sim-001", BILL), ("sim-001", HANDPAY)]  # seqs 2, 1, 3
    machine = compare(ledger, publish(pairs)).machines["sim-001"]
    assert [(m.entry.seq, m.upstream.seq) for m in machine.matched] == [(2, 1), (1, 2), (3, 3)]
    assert [m.entry.seq for m in machine.out_of_order] == [1]


def test_pairing_a_code_in_order_gives_way_to_fewer_out_of_order_matches() -> None:
    # Ledger X Y Z Y, upstream Y X Y Z: the second Y arrived first, or the first Y arrived
    # first and X and Z late. Pairing the Ys in order would mean two out-of-order matches.
    ledger = make_ledger(Spec("sim-001", ((DOOR_OPENED, A), (BILL, A), (HANDPAY, A), (BILL, A))))
    pairs = [("sim-001", code) for code in (BILL, DOOR_OPENED, BILL, HANDPAY)]
    machine = compare(ledger, publish(pairs)).machines["sim-001"]
    assert [(m.entry.seq, m.upstream.seq) for m in machine.out_of_order] == [(4, 1)]
    assert machine.counts == Counts(matched=4, out_of_order=1)


def test_a_leftover_event_takes_a_live_event_before_a_dropped_one() -> None:
    ledger = make_ledger(Spec("sim-001", ((BILL, D), (DOOR_OPENED, A), (BILL, A))))
    report = compare(ledger, publish([("sim-001", BILL), ("sim-001", DOOR_OPENED)]))
    machine = report.machines["sim-001"]
    # The bill is the acked seq 3 (the door event then arrived late), not the dropped seq 1.
    assert [(m.entry.seq, m.upstream.seq) for m in machine.matched] == [(3, 1), (2, 2)]
    assert [m.entry.seq for m in machine.out_of_order] == [2]
    assert [entry.seq for entry in machine.dropped_by_machine] == [1]
    assert machine.counts == Counts(matched=2, out_of_order=1, dropped_by_machine=1)


def test_a_loss_before_a_pending_event_of_its_code() -> None:
    # Another event in between: the acked door event is the one lost, the pending one arrived.
    ledger = make_ledger(Spec("sim-001", ((DOOR_OPENED, A), (BILL, A), (DOOR_OPENED, P))))
    report = compare(ledger, publish([("sim-001", BILL), ("sim-001", DOOR_OPENED)]))
    machine = report.machines["sim-001"]
    assert [entry.seq for entry in machine.lost] == [1]
    assert machine.counts == Counts(matched=2, lost=1)
    # Side by side, the events cannot tell: the earlier one is read as the one that arrived.
    ledger = make_ledger(Spec("sim-001", ((DOOR_OPENED, A), (DOOR_OPENED, P))))
    machine = compare(ledger, publish([("sim-001", DOOR_OPENED)])).machines["sim-001"]
    assert machine.counts == Counts(matched=1, pending=1)
    assert [entry.seq for entry in machine.pending] == [2]


# --------------------------------------------------------------------------- file format


def write_file(path: Path, *specs: Spec) -> None:
    with LedgerWriter(path, clock=Clock()) as writer:
        write(writer, specs)
        writer.flush()


def test_writer_and_reader_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    specs = (Spec("sim-001", ((DOOR_OPENED, A), (BILL, D), (HANDPAY, P))), *TWO_MACHINES[1:])
    write_file(path, *specs)
    memory = LedgerWriter(None, clock=Clock())
    write(memory, specs)
    ledger = read_ledger(path)
    assert ledger == Ledger.from_records(memory.records)
    assert ledger.torn_tail_line is None
    sim1 = ledger.machines["sim-001"]
    assert (sim1.protocol, sim1.address) == ("sas", 1)
    assert [(e.seq, e.code, e.state) for e in sim1.entries] == [
        (1, DOOR_OPENED, A),
        (2, BILL, D),
        (3, HANDPAY, P),
    ]
    assert sim1.entries[0].data == {"amount_credits": 1}
    assert sim1.entries[0].event == "kind_17"
    assert ledger.entries("sim-404") == ()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        '{"address":1,"at":1700000000.25,"machine":"sim-001","protocol":"sas","type":"start"}'
    )
    assert lines[1] == (
        '{"at":1700000000.5,"code":17,"data":{"amount_credits":1},"event":"kind_17",'
        '"machine":"sim-001","seq":1,"type":"event"}'
    )
    assert lines[2] == '{"at":1700000000.75,"machine":"sim-001","seq":1,"type":"ack"}'
    assert [record_to_json(record) for record in memory.records] == lines


def test_records_decode_to_what_was_encoded() -> None:
    records: list[ledger_module.Record] = [
        StartRecord(machine="sim-001", protocol="sas", address=1, at=1.0),
        EventRecord(machine="sim-001", seq=1, code=81, event="handpay_pending", data={}, at=2),
        AckRecord(machine="sim-001", seq=1, at=3.5),
    ]
    assert [record_from_json(json.loads(record_to_json(r))) for r in records] == records


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ([], "expected a JSON object, got list"),
        ({"type": "checkpoint"}, "unknown record type 'checkpoint'"),
        ({"type": "ack", "machine": "m", "seq": True, "at": 1}, "field 'seq' must be int"),
        ({"type": "ack", "machine": "m", "seq": 0, "at": 1}, "field 'seq' must be >= 1"),
        ({"type": "ack", "machine": 7, "seq": 1, "at": 1}, "field 'machine' must be str"),
        ({"type": "ack", "machine": "m", "seq": 1, "at": "now"}, "field 'at' must be number"),
        ({"type": "dropped", "machine": "m", "seq": 1, "at": 1}, "field 'reason' must be str"),
    ],
)
def test_malformed_records_say_why(obj: object, reason: str) -> None:
    with pytest.raises(LedgerFormatError, match=reason):
        record_from_json(obj)


def test_a_truncated_last_line_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    write_file(path, *TWO_MACHINES)
    whole = read_ledger(path)
    count = len(path.read_text(encoding="utf-8").splitlines())
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"at":1700000009.0,"code":17,"data":{"amount')
    ledger = read_ledger(path)
    assert ledger.torn_tail_line == count + 1
    assert ledger.machines == whole.machines


def test_a_last_line_without_newline_that_is_whole_counts(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_text(
        '{"at":1,"code":17,"data":{},"event":"door_opened","machine":"m","seq":1,"type":"event"}\n'
        '{"at":2,"machine":"m","seq":1,"type":"ack"}',
        encoding="utf-8",
    )
    ledger = read_ledger(path)
    assert ledger.torn_tail_line is None
    assert ledger.entries("m")[0].acked_at == 2.0


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        (b'{"at":1,"code":17,"data":{', "not a JSON line"),
        (b"", "not a JSON line"),
        (b"\xff", "not a JSON line"),
        (b'{"at":1,"machine":"m","seq":1,"type":"ack","x":1}', "ack of seq 1, already acked"),
        (b'{"type":"bogus","machine":"m","at":1}', "unknown record type 'bogus'"),
    ],
)
def test_a_malformed_middle_line_is_an_error_with_its_number(
    tmp_path: Path, bad_line: bytes, reason: str
) -> None:
    path = tmp_path / "ledger.jsonl"
    lines = [
        b'{"at":1,"code":17,"data":{},"event":"door_opened","machine":"m","seq":1,"type":"event"}',
        b'{"at":2,"machine":"m","seq":1,"type":"ack"}',
        bad_line,
        b'{"at":3,"code":18,"data":{},"event":"door_closed","machine":"m","seq":2,"type":"event"}',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(LedgerFormatError, match=reason) as caught:
        read_ledger(path)
    assert caught.value.line == 3
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}:3: ")


@pytest.mark.parametrize(
    ("records", "reason"),
    [
        ([AckRecord(machine="m", seq=1, at=1)], "ack of seq 1, which was never reported"),
        (
            [
                EventRecord(machine="m", seq=2, code=1, event="e", at=1),
                EventRecord(machine="m", seq=2, code=1, event="e", at=2),
            ],
            "event seq 2 does not follow 2",
        ),
        (
            [
                EventRecord(machine="m", seq=1, code=1, event="e", at=1),
                AckRecord(machine="m", seq=1, at=2),
                ledger_module.DroppedRecord(machine="m", seq=1, reason="overflow", at=3),
            ],
            "dropped of seq 1, already acked",
        ),
    ],
)
def test_inconsistent_records_are_errors_with_their_number(
    records: list[ledger_module.Record], reason: str
) -> None:
    with pytest.raises(LedgerFormatError, match=reason) as caught:
        Ledger.from_records(records)
    assert caught.value.line == len(records)
    assert str(caught.value).startswith(f"record:{len(records)}: ")


def test_a_format_error_without_a_line_names_its_source() -> None:
    assert str(LedgerFormatError("bad", path=Path("x.jsonl"))) == "x.jsonl: bad"


def test_reopening_cuts_a_torn_tail_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    write_file(path, Spec("sim-001", ((DOOR_OPENED, A),)))
    before = path.read_bytes()
    path.write_bytes(before + b'{"at":17000' + b"x" * 9000)  # torn, longer than one read chunk
    with LedgerWriter(path, clock=Clock()) as writer:
        writer.event("sim-001", 2, BILL, "bill_accepted", {"dollars": 20})
    assert path.read_bytes().startswith(before)
    assert [e.seq for e in read_ledger(path).entries("sim-001")] == [1, 2]


def test_reopening_a_clean_file_appends_to_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.touch()
    write_file(path, TWO_MACHINES[0])
    write_file(path, TWO_MACHINES[1])
    assert list(read_ledger(path).machines) == ["sim-001", "sim-002"]


def test_reopening_a_file_of_one_torn_line_empties_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(b'{"at":1')
    LedgerWriter(path).close()
    assert path.read_bytes() == b""


def test_writer_refuses_misuse() -> None:
    writer = LedgerWriter(None)
    writer.event("sim-001", 3, DOOR_OPENED, "door_opened")
    writer.event("sim-002", 1, DOOR_OPENED, "door_opened")
    with pytest.raises(ValueError, match="event seq 3 does not follow 3"):
        writer.event("sim-001", 3, DOOR_OPENED, "door_opened")
    with pytest.raises(TypeError):
        writer.event("sim-001", 4, DOOR_OPENED, "door_opened", {"when": object()})
    writer.flush()
    writer.close()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.ack("sim-001", 3)
    assert [record.seq for record in writer.records if isinstance(record, EventRecord)] == [3, 1]


def test_a_file_writer_keeps_no_records_and_flushes_after_close(tmp_path: Path) -> None:
    writer = LedgerWriter(tmp_path / "ledger.jsonl")
    writer.event("sim-001", 1, DOOR_OPENED, "door_opened")
    # Line-buffered: the line is in the file before any flush.
    assert (tmp_path / "ledger.jsonl").read_text(encoding="utf-8").count("\n") == 1
    assert writer.records == ()
    writer.close()
    writer.flush()


# --------------------------------------------------------------------------- command line


def write_upstream(path: Path, pairs: Sequence[tuple[str, int]]) -> None:
    lines = [json.dumps(envelope(m, code, seq)) for seq, (m, code) in enumerate(pairs, start=1)]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, list[tuple[str, int]]]:
    ledger_path, upstream_path = tmp_path / "ledger.jsonl", tmp_path / "upstream.jsonl"
    write_file(ledger_path, *TWO_MACHINES)
    pairs = faithful(read_ledger(ledger_path))
    write_upstream(upstream_path, pairs)
    return ledger_path, upstream_path, pairs


def test_cli_exits_0_when_ok(
    files: tuple[Path, Path, list[tuple[str, int]]], capsys: pytest.CaptureFixture[str]
) -> None:
    ledger_path, upstream_path, _ = files
    assert main(["compare", str(ledger_path), str(upstream_path)]) == 0
    out = capsys.readouterr().out
    assert "sim-001" in out and "OK: 2 machines" in out


def test_cli_exits_1_on_a_loss_and_prints_json(
    files: tuple[Path, Path, list[tuple[str, int]]], capsys: pytest.CaptureFixture[str]
) -> None:
    ledger_path, upstream_path, pairs = files
    write_upstream(upstream_path, [pairs[0], *pairs[2:]])  # sim-001's first bill (seq 2)
    assert main(["compare", str(ledger_path), str(upstream_path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["lost"] == 1
    assert report["machines"]["sim-001"]["lost"] == [2]
    assert report["totals"]["out_of_order"] == 0


def test_cli_exits_2_on_malformed_or_missing_input(
    files: tuple[Path, Path, list[tuple[str, int]]], capsys: pytest.CaptureFixture[str]
) -> None:
    ledger_path, upstream_path, _ = files
    with upstream_path.open("a", encoding="utf-8") as handle:
        handle.write("[1]\n")
    assert main(["compare", str(ledger_path), str(upstream_path)]) == 2
    err = capsys.readouterr().err
    assert f"{upstream_path}:8: expected a JSON object, got list" in err
    missing = ledger_path.with_name("missing.jsonl")
    assert main(["compare", str(missing), str(upstream_path)]) == 2
    assert f"cannot read {missing}" in capsys.readouterr().err


def test_cli_notes_a_torn_ledger_tail(
    files: tuple[Path, Path, list[tuple[str, int]]], capsys: pytest.CaptureFixture[str]
) -> None:
    ledger_path, upstream_path, _ = files
    with ledger_path.open("a", encoding="utf-8") as handle:
        handle.write('{"at":')
    assert main(["compare", str(ledger_path), str(upstream_path)]) == 0
    assert "torn last line ignored" in capsys.readouterr().out


def test_cli_usage_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["compare", "only-one"]) == 2
    assert main(["--help"]) == 0
    assert "compare" in capsys.readouterr().out


def test_ledger_module_main_is_the_cli(
    files: tuple[Path, Path, list[tuple[str, int]]], capsys: pytest.CaptureFixture[str]
) -> None:
    ledger_path, upstream_path, _ = files
    assert ledger_module.main(["compare", str(ledger_path), str(upstream_path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_python_dash_m_simulator_ledger(files: tuple[Path, Path, list[tuple[str, int]]]) -> None:
    ledger_path, upstream_path, pairs = files
    write_upstream(upstream_path, [*pairs, pairs[0]])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "simulator.ledger", "compare", str(ledger_path), str(upstream_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "FAIL: 1 duplicated\n" in done.stdout
    assert done.stderr == ""


# --------------------------------------------------------------------------- properties


@st.composite
def specs(draw: st.DrawFn, *, drops: bool = True) -> list[Spec]:
    """1-3 machines; acked events, some dropped by the machine, and a pending tail."""
    result = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        codes = draw(st.lists(st.sampled_from(CODES), max_size=25))
        pending = draw(st.integers(0, min(3, len(codes))))
        head = len(codes) - pending
        settled = st.sampled_from((A, A, A, D) if drops else (A,))
        states = [draw(settled) for _ in range(head)] + [P] * pending
        result.append(Spec(f"sim-{number:03d}", tuple(zip(codes, states, strict=True))))
    return result


def delivered(ledger: Ledger, pending: int = 0) -> list[list[LedgerEntry]]:
    """Per machine, in seq order: its acked events and its first ``pending`` pending ones."""
    queues = []
    for machine in ledger.machines.values():
        early = [e.seq for e in machine.entries if e.state is P][:pending]
        queues.append([e for e in machine.entries if e.state is A or e.seq in early])
    return queues


def interleave(queues: Sequence[Sequence[LedgerEntry]], order: Sequence[int]) -> list[LedgerEntry]:
    """Every queue's events, each queue in order, queues interleaved by ``order``."""
    left = [list(queue) for queue in queues]
    merged: list[LedgerEntry] = []
    for pick in itertools.chain(order, itertools.cycle(range(len(left)))):
        if not any(left):
            return merged
        queue = left[pick % len(left)]
        if queue:
            merged.append(queue.pop(0))
    raise AssertionError("unreachable")  # pragma: no cover


def pairs_of(entries: Iterable[LedgerEntry]) -> list[tuple[str, int]]:
    return [(entry.machine, entry.code) for entry in entries]


def keys(entries: Iterable[LedgerEntry]) -> set[tuple[str, int]]:
    return {(entry.machine, entry.seq) for entry in entries}


def followers(queues: Iterable[Sequence[LedgerEntry]]) -> dict[tuple[str, int], LedgerEntry | None]:
    """Each event's next event on its machine's queue (None for the last)."""
    return {
        (entry.machine, entry.seq): following
        for queue in queues
        for entry, following in itertools.zip_longest(queue, queue[1:])
    }


def shuffled_publish(
    pairs: Sequence[tuple[str, int]], shuffle: st.DataObject
) -> list[UpstreamEvent]:
    """Publish with seqs in order but hand them over in any order: the comparison sorts by seq."""
    events = publish(pairs)
    return shuffle.draw(st.permutations(events))


def check_invariants(
    ledger: Ledger, upstream: Sequence[UpstreamEvent], report: ComparisonReport
) -> None:
    totals = report.totals
    entries = sum(len(machine.entries) for machine in ledger.machines.values())
    assert totals.matched + totals.lost + totals.pending + totals.dropped_by_machine == entries
    assert totals.matched + totals.duplicated + totals.unexpected == len(upstream)


def check_partners(report: ComparisonReport, carried: Sequence[LedgerEntry | None]) -> None:
    """Upstream seq k carried ``carried[k - 1]``: every match found its own event (not a copy)."""
    for machine in report.machines.values():
        for match in machine.matched:
            origin = carried[(match.upstream.seq or 0) - 1]
            assert origin is not None, f"a copy took {match.entry.seq}"
            assert (origin.machine, origin.seq) == (match.entry.machine, match.entry.seq)


def count(ledger: Ledger, state: EntryState) -> int:
    return sum(e.state is state for machine in ledger.machines.values() for e in machine.entries)


def reported(report: ComparisonReport, bucket: str) -> set[tuple[str, int]]:
    """(machine, seq) of the ledger events in ``bucket``: lost or pending."""
    return {key for machine in report.machines.values() for key in keys(getattr(machine, bucket))}


PROPERTY = settings(max_examples=150, deadline=None)
ORDER = st.lists(st.integers(0, 2), max_size=60)
EARLY = st.integers(0, 3)  # how many pending events of each machine arrived before their ack


@PROPERTY
@given(specs(), ORDER, EARLY, st.data())
def test_a_faithful_copy_is_ok(
    machines: list[Spec], order: list[int], early: int, data: st.DataObject
) -> None:
    ledger = make_ledger(*machines)
    sent = interleave(delivered(ledger, early), order)
    upstream = shuffled_publish(pairs_of(sent), data)
    report = compare(ledger, upstream)
    assert report.ok, report.summary()
    assert report.totals == Counts(
        matched=len(sent),
        pending=count(ledger, A) + count(ledger, P) - len(sent),
        dropped_by_machine=count(ledger, D),
    )
    check_invariants(ledger, upstream, report)
    check_partners(report, sent)


@PROPERTY
@given(specs(), ORDER, EARLY, st.data())
def test_deleting_k_events_leaves_k_over_and_names_them(
    machines: list[Spec], order: list[int], early: int, data: st.DataObject
) -> None:
    ledger = make_ledger(*machines)
    queues = delivered(ledger, early)
    sent = interleave(queues, order)
    doomed = data.draw(st.sets(st.integers(0, max(0, len(sent) - 1)), max_size=len(sent)))
    kept = [entry for index, entry in enumerate(sent) if index not in doomed]
    upstream = publish(pairs_of(kept))
    report = compare(ledger, upstream)
    totals = report.totals
    assert totals.matched == len(kept)
    assert totals.out_of_order == totals.duplicated == totals.unexpected == 0
    assert totals.lost + totals.pending == count(ledger, A) + count(ledger, P) - len(kept)
    if early == 0:  # only acked events were sent: every deleted one is lost
        assert totals.lost == len(doomed)
        assert totals.pending == count(ledger, P)
    assert report.ok == (totals.lost == 0)
    check_invariants(ledger, upstream, report)
    # A deleted event followed on its machine by a kept event of another code, or by none, is
    # named exactly (a deleted acked event is lost, a deleted or unsent pending one pending)
    # and every kept event took its own upstream event. In a run of one code, the run's last
    # events are the ones named.
    gone = keys(sent[index] for index in doomed)
    after = followers(queues)
    if all(
        (following := after[key]) is None
        or ((following.machine, following.seq) not in gone and following.code != code)
        for key, code in ((key, key_code(ledger, key)) for key in gone)
    ):
        live = [e for m in ledger.machines.values() for e in m.entries if e.state is not D]
        assert reported(report, "lost") == keys(e for e in live if e.state is A) & gone
        assert reported(report, "pending") == keys(e for e in live if e.state is P) - keys(kept)
        check_partners(report, kept)


def key_code(ledger: Ledger, key: tuple[str, int]) -> int:
    machine, seq = key
    return next(entry.code for entry in ledger.entries(machine) if entry.seq == seq)


@PROPERTY
@given(specs(drops=False), ORDER, st.data())
def test_duplicating_k_events_gives_k_duplicates_named_as_the_copies(
    machines: list[Spec], order: list[int], data: st.DataObject
) -> None:
    ledger = make_ledger(*machines)
    queues = delivered(ledger, pending=3)  # every pending event arrived before its ack
    sent = interleave(queues, order)
    assume(sent)
    copies = data.draw(st.lists(st.integers(0, len(sent) - 1), min_size=1, max_size=5))
    carried: list[LedgerEntry | None] = []  # None: a copy of the event before it
    pairs: list[tuple[str, int]] = []
    for index, entry in enumerate(sent):  # each copy right after its original
        carried += [entry] + [None] * copies.count(index)
        pairs += pairs_of([entry]) * (1 + copies.count(index))
    upstream = publish(pairs)
    report = compare(ledger, upstream)
    assert report.totals == Counts(matched=len(sent), duplicated=len(copies))
    check_invariants(ledger, upstream, report)
    # A copy of an event followed on its machine by an event of another code, or by none,
    # is named exactly, and the originals took their own events.
    after = followers(queues)
    copied = [sent[index] for index in copies]
    if all((f := after[(e.machine, e.seq)]) is None or f.code != e.code for e in copied):
        check_partners(report, carried)
        duplicates = [e.seq or 0 for m in report.machines.values() for e in m.duplicated]
        assert sorted(duplicates) == [k + 1 for k, entry in enumerate(carried) if entry is None]


@PROPERTY
@given(specs(), ORDER, st.data())
def test_two_adjacent_events_that_trade_places_are_one_out_of_order_match(
    machines: list[Spec], order: list[int], data: st.DataObject
) -> None:
    ledger = make_ledger(*machines)
    sent = interleave(delivered(ledger, pending=3), order)
    per_machine: dict[str, list[int]] = {}
    for index, entry in enumerate(sent):
        per_machine.setdefault(entry.machine, []).append(index)
    swappable = [
        (first, second)
        for indexes in per_machine.values()
        for first, second in itertools.pairwise(indexes)
        if sent[first].code != sent[second].code
    ]
    assume(swappable)
    first, second = data.draw(st.sampled_from(swappable))
    earlier = sent[first]
    sent[first], sent[second] = sent[second], sent[first]
    upstream = publish(pairs_of(sent))
    report = compare(ledger, upstream)
    assert report.totals == Counts(
        matched=len(sent), out_of_order=1, dropped_by_machine=count(ledger, D)
    )
    # The earlier ledger event of the two is named, with its own upstream event.
    [late] = report.machines[earlier.machine].out_of_order
    assert (late.entry.seq, late.upstream.seq) == (earlier.seq, second + 1)
    check_partners(report, sent)
    check_invariants(ledger, upstream, report)


@PROPERTY
@given(
    specs(),
    st.lists(
        st.tuples(
            st.sampled_from(("sim-001", "sim-002", "sim-009")), st.sampled_from((*CODES, 0x99))
        )
    ),
)
def test_any_upstream_lands_every_event_in_one_bucket(
    machines: list[Spec], pairs: list[tuple[str, int]]
) -> None:
    ledger = make_ledger(*machines)
    upstream = publish(pairs)
    report = compare(ledger, upstream)
    check_invariants(ledger, upstream, report)
    assert report.summary()
    assert json.loads(report.to_json())["ok"] == report.ok


def lcs_length(a: Sequence[int], b: Sequence[int]) -> int:
    """The textbook O(len(a) * len(b)) table."""
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal, row[0] = 0, 0
        for j, y in enumerate(b, start=1):
            diagonal, row[j] = row[j], diagonal + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


SMALL_CODES = st.lists(st.integers(0, 3), max_size=40)


@PROPERTY
@given(SMALL_CODES, SMALL_CODES)
def test_the_alignment_is_a_longest_common_subsequence(a: list[int], b: list[int]) -> None:
    pairs = _common_subsequence(a, b)
    assert len(pairs) == lcs_length(a, b)
    assert all(a[i] == b[j] for i, j in pairs)
    assert all(i < k and j < m for (i, j), (k, m) in itertools.pairwise(pairs))


@PROPERTY
@given(SMALL_CODES)
def test_the_alignment_leaves_the_later_events_over(a: list[int]) -> None:
    # A copy of a run's event, or a loss in it, is named at the run's end.
    pairs = _common_subsequence([*a, *a], a)
    assert pairs == [(i, i) for i in range(len(a))]
    assert _common_subsequence(a, [*a, *a]) == pairs


@PROPERTY
@given(st.lists(st.integers(0, 30), max_size=12, unique=True))
def test_longest_increasing_is_longest(values: list[int]) -> None:
    chain = _longest_increasing(values)
    assert all(i < j and values[i] < values[j] for i, j in itertools.pairwise(chain))
    longest = max(
        (
            size
            for size in range(len(values) + 1)
            for picked in itertools.combinations(values, size)
            if list(picked) == sorted(picked)
        ),
        default=0,
    )
    assert len(chain) == longest


@settings(max_examples=50, deadline=None)
@given(specs())
def test_file_round_trip_equals_memory(
    tmp_path_factory: pytest.TempPathFactory, machines: list[Spec]
) -> None:
    path = tmp_path_factory.mktemp("ledger") / "ledger.jsonl"
    write_file(path, *machines)
    memory = LedgerWriter(None, clock=Clock())
    write(memory, machines)
    assert read_ledger(path) == Ledger.from_records(memory.records)
