"""Faults a simulated machine injects (simulator/faults.py) and how the machine applies them.

Reply faults by probability or in a timed burst: a bit flip (only in
CRC-protected replies), a dropped byte, junk with the reply (before long
replies, after one-byte ones) and a late reply. Timed faults on the machine:
silence (deaf and mute), a power cycle and a FIFO overflow, each applied
once by ``SasEgm.advance``. Every injected fault is counted by kind.
"""

from __future__ import annotations

import random

import pytest

from protocols.sas import requests
from protocols.sas.deframer import ExpectLongPoll
from protocols.sas.frames import DataFrame, Fault, FaultKind, Received
from simulator.faults import (
    MACHINE_FAULTS,
    PROTECTED_LENGTH,
    REPLY_FAULTS,
    FaultInjector,
    FaultRates,
    TimedFault,
)
from simulator.ledger import DroppedRecord, EntryState, Ledger
from simulator.sas.egm import POWER_CYCLE_SECONDS, EgmConfig
from simulator.sas.line import SasLine

from .sas.test_egm import Host, decode, is_powered, make_egm, records, synced

LONG = bytes.fromhex("011a00002000f0df")  # an LP 1A reply, CRC included


def injector(seed: int = 7, timed: list[TimedFault] | None = None, **rates: float) -> FaultInjector:
    return FaultInjector(FaultRates(**rates), random.Random(seed), timed or [])


def test_rates_say_whether_any_reply_fault_is_on() -> None:
    assert not FaultRates().any()
    assert not FaultRates(late_reply_ms=100.0).any()
    for kind in REPLY_FAULTS:
        assert FaultRates(**{kind: 0.1}).any()


def test_a_timed_fault_is_active_from_its_start_for_its_seconds() -> None:
    fault = TimedFault(kind="silence", start=10.0, seconds=2.0)
    assert [fault.active(t) for t in (9.9, 10.0, 11.9, 12.0)] == [False, True, True, False]
    assert not TimedFault(kind="power_cycle", start=1.0).active(1.0)


def test_no_rates_change_nothing_and_draw_nothing() -> None:
    faults = injector()
    state = faults.rng.getstate()
    assert faults.mangle(LONG, 0.003, 0.0) == (LONG, 0.003)
    assert faults.mangle(b"\x11", 0.003, 0.0) == (b"\x11", 0.003)
    assert faults.rng.getstate() == state
    assert not faults.counts


def test_a_bit_flip_changes_exactly_one_bit_of_a_protected_reply() -> None:
    faults = injector(bit_flip=1.0)
    data, delay = faults.mangle(LONG, 0.003, 0.0)
    assert delay == 0.003 and len(data) == len(LONG)
    flipped = sum(bin(a ^ b).count("1") for a, b in zip(data, LONG, strict=True))
    assert flipped == 1
    [frame] = decode_long(data)
    assert isinstance(frame, Fault) and frame.kind in (FaultKind.BAD_CRC, FaultKind.UNEXPECTED)
    assert faults.counts == {"bit_flip": 1}


def decode_long(data: bytes) -> list[Received]:
    """The reply to LP 1A in ``data``, without the junk around it."""
    frames = decode(ExpectLongPoll(address=1, command=0x1A), data)
    return [f for f in frames if not (isinstance(f, Fault) and f.kind is FaultKind.GARBAGE)]


@pytest.mark.parametrize("reply", [b"\x11", b"\x01", b"\x01\x00", bytes(PROTECTED_LENGTH - 1)])
def test_replies_without_a_crc_are_never_bit_flipped(reply: bytes) -> None:
    faults = injector(bit_flip=1.0)
    assert faults.mangle(reply, 0.003, 0.0) == (reply, 0.003)
    assert not faults.counts


def test_a_dropped_byte_shortens_the_reply() -> None:
    faults = injector(drop_byte=1.0)
    data, _ = faults.mangle(LONG, 0.003, 0.0)
    assert len(data) == len(LONG) - 1
    assert any(LONG[:i] + LONG[i + 1 :] == data for i in range(len(LONG)))
    assert faults.mangle(b"\x11", 0.003, 0.0)[0] == b""
    assert faults.counts == {"drop_byte": 2}


def test_garbage_goes_before_long_replies_and_after_short_ones() -> None:
    faults = injector(garbage=1.0)
    long, _ = faults.mangle(LONG, 0.003, 0.0)
    assert long.endswith(LONG) and 1 <= len(long) - len(LONG) <= 4
    [frame] = decode_long(long)  # a host hunting for ``addr cmd`` still finds the reply
    assert isinstance(frame, DataFrame) and frame.raw == LONG
    short, _ = faults.mangle(b"\x11", 0.003, 0.0)
    assert short.startswith(b"\x11") and 1 <= len(short) - 1 <= 4
    assert faults.counts == {"garbage": 2}


def test_a_late_reply_waits_past_the_limit() -> None:
    faults = injector(late_reply=1.0, late_reply_ms=80.0)
    assert faults.mangle(LONG, 0.003, 0.0) == (LONG, 0.08)
    assert faults.mangle(LONG, 0.2, 0.0) == (LONG, 0.2)  # never earlier than it was
    assert faults.counts == {"late_reply": 2}


def test_rates_are_probabilities_drawn_from_the_seeded_generator() -> None:
    def run(seed: int) -> list[bytes]:
        faults = injector(seed, drop_byte=0.5)
        return [faults.mangle(LONG, 0.003, float(n))[0] for n in range(200)]

    first = run(3)
    assert first == run(3)
    dropped = sum(len(data) < len(LONG) for data in first)
    assert 60 < dropped < 140


def test_a_timed_burst_hits_every_reply_in_its_window_only() -> None:
    burst = TimedFault(kind="garbage", start=5.0, seconds=1.0)
    faults = injector(timed=[burst])
    assert faults.mangle(LONG, 0.003, 4.9)[0] == LONG
    assert faults.mangle(LONG, 0.003, 5.0)[0] != LONG
    assert faults.mangle(LONG, 0.003, 5.9)[0] != LONG
    assert faults.mangle(LONG, 0.003, 6.0)[0] == LONG
    assert faults.counts == {"garbage": 2}


def test_machine_faults_are_handed_over_once_when_due() -> None:
    timed = [
        TimedFault(kind="power_cycle", start=2.0),
        TimedFault(kind="silence", start=1.0, seconds=3.0),
        TimedFault(kind="fifo_overflow", start=4.0),
        TimedFault(kind="power_cycle", start=4.0),
    ]
    faults = injector(timed=timed)
    assert faults.due(1.0) == []
    assert faults.due(2.5) == ["power_cycle"]
    assert faults.due(3.0) == []
    assert faults.due(10.0) == ["fifo_overflow", "power_cycle"]
    assert faults.due(11.0) == []
    assert faults.counts == {"power_cycle": 2, "fifo_overflow": 1}
    assert set(MACHINE_FAULTS) == {"power_cycle", "fifo_overflow"}


def test_silence_only_in_its_window() -> None:
    faults = injector(timed=[TimedFault(kind="silence", start=1.0, seconds=2.0)])
    assert [faults.silent(t) for t in (0.5, 1.0, 2.9, 3.0)] == [False, True, True, False]


# --- applied by the machine ---------------------------------------------------------


def test_a_silent_machine_is_deaf_and_mute() -> None:
    silence = TimedFault(kind="silence", start=1.0, seconds=10.0)
    egm = make_egm(faults=injector(timed=[silence]))
    line = SasLine([egm])
    host = Host(line)
    host.sync()
    assert host.gp() == b"\x00"
    polls = egm.stats.polls
    host.send(b"\x80", at=1.0)  # deaf: no implied ACK
    assert host.send(b"\x81", at=1.05) == b""  # mute
    assert egm.stats.polls == polls
    assert egm.chirp(7.0) is None  # no chirps in loop break either
    assert line.tick(7.0) == []
    chirp = egm.chirp(12.0)  # the silence is over, the loop break is not
    assert chirp is not None and chirp.data == b"\x01"
    host.send(b"\x80", at=12.5)
    assert host.send(b"\x81", at=12.55) == b"\x00"


def test_a_dropped_one_byte_reply_is_no_reply() -> None:
    egm, host = synced(make_egm(faults=injector(drop_byte=1.0)))
    replies = egm.stats.replies
    assert host.gp() == b""
    assert egm.stats.replies == replies
    assert egm.faults is not None and egm.faults.counts["drop_byte"] == 1


def test_faults_reach_the_wire_through_the_machine() -> None:
    egm, host = synced(make_egm(faults=injector(bit_flip=1.0, late_reply=1.0)))
    [reply] = host.line.receive(requests.read(1, 0x1A).encode().data, 0.2)
    assert reply.delay == pytest.approx(0.06)
    assert reply.data != LONG and len(reply.data) == len(LONG)
    assert egm.faults is not None
    assert egm.faults.counts == {"bit_flip": 1, "late_reply": 1}


def test_a_timed_power_cycle_is_applied_once_by_advance() -> None:
    egm = make_egm(faults=injector(timed=[TimedFault(kind="power_cycle", start=1.0)]))
    egm, host = synced(egm)
    egm.advance(1.0)
    assert not egm.model.powered
    assert host.send(b"\x81", at=1.5) == b""
    back = 1.0 + POWER_CYCLE_SECONDS
    egm.advance(back)
    assert is_powered(egm) and not egm.synced
    egm.advance(back + 10)  # not applied again
    assert is_powered(egm)
    assert egm.faults is not None and egm.faults.counts == {"power_cycle": 1}
    host.send(b"\x80", at=back + 10.1)
    assert host.send(b"\x81", at=back + 10.15) == b"\x18"
    host.send(b"\x80", at=back + 10.2)
    assert host.send(b"\x81", at=back + 10.25) == b"\x17"


def test_a_timed_fifo_overflow_loses_events_and_raises_70() -> None:
    egm = make_egm(faults=injector(timed=[TimedFault(kind="fifo_overflow", start=1.0)]))
    egm, host = synced(egm)
    egm.advance(1.0)
    dropped = records(egm, DroppedRecord)
    assert dropped and all(r.reason == "fifo_overflow" for r in dropped)
    assert len(egm.queue) == egm.queue.depth + 1  # a full FIFO and the 70 flag
    assert host.send(b"\x81", at=1.1) == b"\x70"
    egm.advance(2.0)
    assert len(records(egm, DroppedRecord)) == len(dropped)  # once
    states = {e.state for e in Ledger.from_records(egm.ledger.records).entries("sim-001")}
    assert EntryState.DROPPED in states
    assert egm.faults is not None and egm.faults.counts == {"fifo_overflow": 1}


def test_wire_pace_and_faults_add_up() -> None:
    config = EgmConfig(wire_pace=True, reply_delay=0.002)
    _, host = synced(make_egm(config=config, faults=injector(garbage=1.0)))
    [reply] = host.line.receive(b"\x81", 0.2)
    assert reply.delay == pytest.approx(0.002 + 11 / 19200)  # paced before the junk
    assert reply.data[:1] == b"\x00" and len(reply.data) > 1
