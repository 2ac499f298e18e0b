"""The strict simulated SAS machine (simulator/sas_egm.py, sas_line.py, sas_codes.py).

Numeric time, no I/O: host frames are built with ``protocols.sas.requests``
and fed through ``SasLine.receive`` (or ``SasEgm.hear``); replies are cut
with the host's ``ReplyDeframer`` and decoded with ``decode_reply``. The
ledger is an in-memory ``LedgerWriter(None)``. Examples follow reference
§1.7-1.9 (sync, implied ACK/NACK, final NACK, loop break), §3.1 (FIFO and
priority exceptions) and §3.12 (RTE); a property closes the file.

The helpers at the top are shared with the other simulator test modules.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from protocols.sas import requests
from protocols.sas.crc import with_crc
from protocols.sas.deframer import (
    Expectation,
    ExpectGeneralPoll,
    ExpectLongPoll,
    ReplyDeframer,
)
from protocols.sas.exception_codes import lookup
from protocols.sas.frames import (
    AckFrame,
    DataFrame,
    EventFrame,
    ExceptionFrame,
    Fault,
    FaultKind,
    NackFrame,
    Received,
)
from protocols.sas.machine import GeneralPollReceived, LongPollReceived
from protocols.sas.messages import (
    LastBill,
    Message,
    RteEvent,
    SingleMeter,
    VersionSerial,
    decode_event,
    decode_reply,
)
from protocols.sas.messages.events import GameEnded, GameStarted
from protocols.sas.requests import LongPollRequest
from simulator.activity import ActivityRates, seeded
from simulator.events import Door, Kind, MachineEvent, Tilt
from simulator.faults import FaultInjector
from simulator.ledger import (
    AckRecord,
    DroppedRecord,
    EntryState,
    EventRecord,
    Ledger,
    LedgerWriter,
    StartRecord,
)
from simulator.model import MachineModel
from simulator.sas.codes import (
    BILL_CODES,
    DOOR_CODES,
    SIMPLE_CODES,
    TILT_CODES,
    SasReport,
    rte_code,
    sas_report,
)
from simulator.sas.egm import (
    CHIRP_INTERVAL,
    LOOP_BREAK_AFTER,
    EgmConfig,
    SasEgm,
)
from simulator.sas.line import SasLine
from simulator.sas.queue import Entry

QUIET = ActivityRates(
    games_per_minute=0,
    bills_per_hour=0,
    door_openings_per_hour=0,
    handpays_per_hour=0,
    tickets_per_hour=0,
    ticket_ins_per_hour=0,
    player_cards_per_hour=0,
    tilts_per_hour=0,
    power_cycles_per_hour=0,
    in_play_at_start=0,
)
"""Nothing happens by itself: every event in these tests is scripted."""

SLOT_OPENED, SLOT_CLOSED = DOOR_CODES[Door.SLOT]
T = TypeVar("T")


def make_egm(
    address: int = 1,
    *,
    machine_id: str = "sim-001",
    config: EgmConfig | None = None,
    faults: FaultInjector | None = None,
    ledger: LedgerWriter | None = None,
    **model_options: Any,
) -> SasEgm:
    model = MachineModel(machine_id, random.Random(1), rates=QUIET, **model_options)
    return SasEgm(
        address=address,
        model=model,
        ledger=ledger if ledger is not None else LedgerWriter(None),
        config=config if config is not None else EgmConfig(),
        faults=faults,
    )


@dataclass
class Host:
    """A host on one line: writes frames at increasing times, returns the reply bytes."""

    line: SasLine
    now: float = 0.0
    step: float = 0.05
    sent: list[bytes] = field(default_factory=list)

    def send(self, data: bytes, *, at: float | None = None) -> bytes:
        self.now = at if at is not None else self.now + self.step
        self.sent.append(data)
        return b"".join(reply.data for reply in self.line.receive(data, self.now))

    def gp(self, address: int = 1) -> bytes:
        return self.send(requests.general_poll(address).data)

    def sync(self) -> None:
        assert self.send(b"\x80") == b""

    def poll(self, request: LongPollRequest) -> bytes:
        return self.send(request.encode().data)

    def keep_alive(self, until: float) -> None:
        """Sync polls every second (no loop break) until ``until``."""
        while self.now + 1.0 < until:
            self.send(b"\x80", at=self.now + 1.0)
        self.now = until

    def incident(self, egm: SasEgm, kind: str, **params: object) -> None:
        egm.report(egm.model.incident(kind, self.now, **params), self.now)


def synced(egm: SasEgm | None = None) -> tuple[SasEgm, Host]:
    egm = egm if egm is not None else make_egm()
    host = Host(SasLine([egm]))
    host.sync()
    return egm, host


def decode(expectation: Expectation, raw: bytes) -> list[Received]:
    deframer = ReplyDeframer()
    deframer.expect(expectation)
    return deframer.receive_data(raw) + deframer.end_of_reply()


def message(raw: bytes, command: int, address: int = 1) -> Message:
    [frame] = decode(ExpectLongPoll(address=address, command=command), raw)
    assert isinstance(frame, DataFrame), frame
    result = decode_reply(frame)
    assert not isinstance(result, Fault), result
    return result


def reply_as(kind: type[T], raw: bytes, command: int, address: int = 1) -> T:
    result = message(raw, command, address)
    assert isinstance(result, kind), result
    return result


def event_frame(raw: bytes, address: int = 1, *, command: int | None = None) -> EventFrame:
    """An RTE frame, in reply to a general poll or (``command``) to a long poll."""
    expectation: Expectation = (
        ExpectGeneralPoll(address=address, rte=True)
        if command is None
        else ExpectLongPoll(address=address, command=command, rte=True)
    )
    [frame] = decode(expectation, raw)
    assert isinstance(frame, EventFrame), frame
    return frame


def records(egm: SasEgm, kind: type[T]) -> list[T]:
    return [record for record in egm.ledger.records if isinstance(record, kind)]


def seq_of(egm: SasEgm, code: int, nth: int = 0) -> int:
    return [r.seq for r in records(egm, EventRecord) if r.code == code][nth]


def acked(egm: SasEgm) -> list[int]:
    return [record.seq for record in records(egm, AckRecord)]


def is_synced(egm: SasEgm) -> bool:
    """``egm.synced`` now (a function, so the type checker does not pin an earlier value)."""
    return egm.synced


def is_powered(egm: SasEgm) -> bool:
    return egm.model.powered


# --- sync (§1.7) -------------------------------------------------------------------


def test_ignores_its_own_address_until_it_hears_a_poll_to_another() -> None:
    egm = make_egm()
    host = Host(SasLine([egm]))
    assert host.gp(1) == b""
    assert host.poll(requests.read(1, 0x1A)) == b""
    assert not is_synced(egm)
    assert egm.stats.polls == 0
    host.sync()
    assert is_synced(egm)
    assert host.gp(1) == b"\x00"
    assert egm.stats.polls == 1
    assert egm.stats.replies == 1


def test_a_long_poll_to_another_address_also_synchronises() -> None:
    egm = make_egm()
    host = Host(SasLine([egm]))
    assert host.poll(requests.read(2, 0x1A)) == b""
    assert host.gp(1) == b"\x00"


def test_the_ledger_starts_with_the_machine_and_its_address() -> None:
    egm = make_egm(address=7, machine_id="sim-042")
    [start] = egm.ledger.records
    assert isinstance(start, StartRecord)
    assert (start.machine, start.protocol, start.address) == ("sim-042", "sas", 7)


def test_after_a_power_cycle_it_reports_the_outage_once_resynchronised() -> None:
    egm, host = synced()
    host.incident(egm, "power_cycle", seconds=2.0)
    assert not egm.model.powered
    polls = egm.stats.polls
    assert host.gp() == b""  # unpowered: deaf
    assert host.send(b"\x80") == b""
    assert egm.stats.polls == polls
    back = host.now + 3.0
    assert host.send(b"\x81", at=back) == b""  # power is back, but no resync yet
    assert is_powered(egm) and not is_synced(egm)
    host.sync()
    assert host.gp() == bytes([SIMPLE_CODES[Kind.POWER_LOST]])
    host.sync()
    assert host.gp() == bytes([SIMPLE_CODES[Kind.POWER_APPLIED]])
    host.sync()
    assert host.gp() == b"\x00"


# --- general polls, implied ACK / NACK (§1.8, §1.9, §3.1) -----------------------------


def test_general_polls_report_queued_exceptions_in_fifo_order() -> None:
    egm, host = synced()
    host.incident(egm, "door_open")
    host.incident(egm, "tilt", tilt="reel", seconds=1.0)
    host.incident(egm, "door_close")
    reported = []
    for _ in range(4):
        reported.append(host.gp())
        host.sync()
    assert reported == [bytes([SLOT_OPENED]), bytes([TILT_CODES[Tilt.REEL]]), b"\x12", b"\x00"]


def test_priority_exceptions_come_first_in_priority_order() -> None:
    egm, host = synced()
    host.incident(egm, "door_open", door="drop")  # 13, queued
    host.incident(egm, "ticket_in", amount_cents=500)  # 67, priority
    host.incident(egm, "handpay", amount_credits=5000)  # 51, priority
    reported = []
    for _ in range(4):
        reported.append(host.gp())
        host.sync()
    assert reported == [b"\x67", b"\x51", b"\x13", b"\x00"]


def test_an_implied_ack_pops_the_exception_and_writes_the_ack() -> None:
    egm, host = synced()
    host.incident(egm, "door_open")
    host.incident(egm, "door_close")
    assert host.gp() == bytes([SLOT_OPENED])
    assert acked(egm) == []
    host.sync()  # a poll to another address acknowledges
    assert acked(egm) == [seq_of(egm, SLOT_OPENED)]
    assert egm.stats.acks == 1
    assert host.gp() == bytes([SLOT_CLOSED])
    assert host.poll(requests.read(1, 0x1A)) != b""  # a long poll acknowledges too
    assert acked(egm) == [seq_of(egm, SLOT_OPENED), seq_of(egm, SLOT_CLOSED)]
    assert host.gp() == b"\x00"


def test_the_same_general_poll_again_is_an_implied_nack() -> None:
    egm, host = synced()
    host.incident(egm, "door_open")
    host.incident(egm, "door_close")
    first = host.gp()
    assert host.gp() == first  # the same reply again
    assert acked(egm) == []
    assert host.gp() == b""  # third identical poll: final NACK, silence
    assert acked(egm) == []
    host.sync()  # acknowledges nothing: the reply was given up
    assert acked(egm) == []
    assert host.gp() == first  # the exception was kept
    host.sync()
    assert acked(egm) == [seq_of(egm, SLOT_OPENED)]
    assert host.gp() == bytes([SLOT_CLOSED])


def test_a_poll_to_another_address_acknowledges_even_a_final_repeat() -> None:
    egm, host = synced()
    host.incident(egm, "door_open")
    assert host.gp() == host.gp() == bytes([SLOT_OPENED])
    assert host.gp(5) == b""
    assert acked(egm) == [seq_of(egm, SLOT_OPENED)]


def test_an_idle_reply_is_repeated_too() -> None:
    _, host = synced()
    assert host.gp() == b"\x00"
    assert host.gp() == b"\x00"
    assert host.gp() == b""


def test_the_same_long_poll_again_gets_the_same_reply_and_the_third_silence() -> None:
    egm, host = synced()
    first = host.poll(requests.read(1, 0x1A))
    host.incident(egm, "bill", dollars=5)
    assert host.poll(requests.read(1, 0x1A)) == first  # implied NACK: the old credits
    assert host.poll(requests.read(1, 0x1A)) == b""
    again = host.poll(requests.read(1, 0x1A))
    assert again not in (first, b"")  # fresh again after the final NACK


def test_fifo_overflow_drops_the_oldest_and_raises_70_first() -> None:
    egm, host = synced()
    for n in range(egm.queue.depth + 3):  # 23 ordinary exceptions in a 20-deep FIFO
        host.incident(egm, "door_open" if n % 2 == 0 else "door_close")
    dropped = records(egm, DroppedRecord)
    assert [r.reason for r in dropped] == ["fifo_overflow"] * 3
    events = records(egm, EventRecord)
    assert [e.code for e in events if e.seq in {r.seq for r in dropped}] == [0x11, 0x12, 0x11]
    assert host.gp() == b"\x70"
    host.sync()
    reported = []
    while (code := host.gp()) != b"\x00":
        reported.append(code[0])
        host.sync()
    assert reported == [0x12, 0x11] * 10  # the 4th to the 23rd, in order
    ledger = Ledger.from_records(egm.ledger.records)
    states = [entry.state for entry in ledger.entries("sim-001")]
    assert states.count(EntryState.DROPPED) == 3
    assert states.count(EntryState.ACKED) == len(states) - 3


def test_an_exception_lost_while_its_report_is_on_the_wire_is_not_acked() -> None:
    """Regression: the ack of an entry the overflow dropped made the ledger unreadable."""
    egm, host = synced()
    host.incident(egm, "door_open", door="drop")
    assert host.gp() == b"\x13"
    for n in range(egm.queue.depth):
        host.incident(egm, "door_open" if n % 2 == 0 else "door_close")
    host.sync()  # would acknowledge the 13 the FIFO has already lost
    ledger = Ledger.from_records(egm.ledger.records)  # raised "already dropped"
    [lost] = [e for e in ledger.entries("sim-001") if e.code == 0x13]
    assert lost.state is EntryState.DROPPED
    assert acked(egm) == []
    assert host.gp() == b"\x70"


def test_an_unacknowledged_handpay_is_reported_again_after_15_seconds() -> None:
    egm, host = synced()
    host.incident(egm, "handpay", amount_credits=150_000)
    assert host.gp() == b"\x51"
    host.sync()
    [ack] = acked(egm)
    assert ack == seq_of(egm, 0x51)
    events = len(records(egm, EventRecord))
    assert host.gp() == b"\x00"  # not yet due again
    reported_at = host.now
    host.keep_alive(reported_at + 15.0)
    assert host.gp() == b"\x51"  # the host never read LP 1B
    host.sync()
    assert acked(egm) == [ack]  # a repeat, not a new event: no second ack
    assert len(records(egm, EventRecord)) == events
    assert host.poll(requests.read(1, 0x1B)) != b""  # servicing it stops the repeats
    host.keep_alive(host.now + 16.0)
    assert host.gp() == b"\x00"


def test_reading_1b_right_after_51_acknowledges_and_services_it() -> None:
    egm, host = synced()
    host.incident(egm, "handpay", amount_credits=150_000)
    assert host.gp() == b"\x51"
    assert host.poll(requests.read(1, 0x1B)) != b""
    assert acked(egm) == [seq_of(egm, 0x51)]
    host.keep_alive(host.now + 16.0)
    assert host.gp() == b"\x00"


# --- long polls at the link level -----------------------------------------------------


def test_a_long_poll_with_a_bad_crc_is_nacked() -> None:
    egm, host = synced()
    good = requests.enable_play(1).encode().data
    bad = good[:-1] + bytes([good[-1] ^ 0x01])
    assert host.send(bad) == b"\x81"
    assert egm.stats.nacks == 1
    [frame] = decode(ExpectLongPoll(address=1, command=0x02), b"\x81")
    assert isinstance(frame, NackFrame)
    assert host.send(good) == b"\x01"


def test_a_bad_crc_for_another_address_is_not_nacked() -> None:
    _, host = synced()
    good = requests.enable_play(2).encode().data
    assert host.send(good[:-1] + bytes([good[-1] ^ 0x01])) == b""


def test_a_malformed_request_is_nacked_and_counted() -> None:
    egm, host = synced()
    raw = with_crc(b"\x01\x0e\x05")  # RTE flag 05: neither on nor off
    assert host.send(raw) == b"\x81"
    assert host.send(raw) == b"\x81"  # a NACK is no reply to repeat: NACKed again
    assert egm.stats.nacks == 2
    assert not egm.rte


def test_an_unsupported_long_poll_gets_silence() -> None:
    egm, host = synced(make_egm(config=EgmConfig(supported=frozenset({0x1A}))))
    assert host.poll(requests.read(1, 0x54)) == b""
    assert host.poll(requests.read(1, 0x54)) == b""  # and again: nothing cached
    assert host.poll(requests.read(1, 0x1A)) != b""
    assert egm.stats.polls == 3


def test_an_unknown_long_poll_gets_silence() -> None:
    _, host = synced()
    assert host.poll(requests.read(1, 0xB3)) == b""  # token denomination: a coinless machine
    raw = with_crc(bytes([1, 0x7B, 8]) + bytes(8))  # 7B: a variable poll the machine lacks
    assert host.send(raw) == b""


def test_a_message_cut_short_gets_no_answer() -> None:
    egm = make_egm()
    line = SasLine([egm])
    host = Host(line)
    host.sync()
    raw = requests.enable_play(1).encode().data
    assert line.receive(raw[:2], 1.0) == []
    assert line.tick(1.002) == []  # still within the 5 ms gap
    assert line.next_deadline(1.002) == pytest.approx(1.005)
    assert line.tick(1.01) == []  # truncated: silence
    assert egm.model.enabled


def test_the_rom_signature_comes_in_reply_to_a_general_poll_after_half_a_second() -> None:
    _, host = synced()
    assert host.poll(requests.rom_signature(1, 0x1234)) == b"\x01"
    assert host.gp() == b"\x00"  # still computing
    host.sync()
    late = host.send(b"\x81", at=host.now + 0.5)
    [frame] = decode(ExpectGeneralPoll(address=1, signature=True), late)
    assert isinstance(frame, DataFrame) and frame.command == 0x21
    assert host.gp() == late  # implied NACK: the same signature again
    host.sync()  # acknowledged: forgotten
    assert host.gp() == b"\x00"


def test_disable_and_enable_play_are_acked() -> None:
    egm, host = synced()
    assert host.poll(requests.disable_play(1)) == b"\x01"
    assert not egm.model.enabled
    [frame] = decode(ExpectLongPoll(address=1, command=0x01), b"\x01")
    assert isinstance(frame, AckFrame)
    assert host.poll(requests.enable_play(1)) == b"\x01"
    assert egm.model.enabled


# --- real-time events (§3.12) -----------------------------------------------------------


def rte_on(host: Host) -> None:
    assert host.poll(requests.real_time_events(1, enabled=True)) == b"\x01"


def test_in_rte_mode_an_idle_machine_answers_ff_00() -> None:
    egm, host = synced()
    rte_on(host)
    assert egm.rte
    frame = event_frame(host.gp())
    assert frame.code == 0x00 and frame.data == b""


def test_in_rte_mode_a_bill_is_4f_with_its_data() -> None:
    egm, host = synced()
    rte_on(host)
    host.incident(egm, "bill", dollars=20)
    frame = event_frame(host.gp())
    assert frame.code == 0x4F
    event = decode_event(frame)
    assert isinstance(event, RteEvent)
    assert event.data == LastBill(country=37, bill_code=0x04, count=1)
    assert seq_of(egm, 0x4F) == 1  # the ledger has the code the host saw


def test_in_rte_mode_games_carry_their_data() -> None:
    egm, host = synced()
    rte_on(host)
    egm.report(
        [
            MachineEvent(kind=Kind.GAME_STARTED, at=0, data={"wager_credits": 3, "coin_in": 42}),
            MachineEvent(kind=Kind.GAME_ENDED, at=0, data={"win_credits": 10}),
        ],
        host.now,
    )
    started = decode_event(event_frame(host.gp()))
    host.sync()
    ended = decode_event(event_frame(host.gp()))
    assert isinstance(started, RteEvent) and isinstance(started.data, GameStarted)
    assert (started.data.credits_wagered, started.data.coin_in_meter) == (3, 42)
    assert isinstance(ended, RteEvent) and ended.data == GameEnded(win=10)


def test_in_rte_mode_an_event_replaces_the_long_poll_reply() -> None:
    egm, host = synced()
    rte_on(host)
    host.incident(egm, "door_open")
    raw = host.poll(requests.read(1, 0x1A))
    assert event_frame(raw, command=0x1A).code == SLOT_OPENED
    host.sync()  # acknowledges the event
    assert acked(egm) == [seq_of(egm, SLOT_OPENED)]
    assert reply_as(SingleMeter, host.poll(requests.read(1, 0x1A)), 0x1A).value == 0
    assert host.poll(requests.real_time_events(1, enabled=False)) == b"\x01"
    assert host.gp() == b"\x00"


def test_a_bill_queued_before_rte_is_switched_on_frames_cleanly() -> None:
    """Regression: it was sent as ``FF 4A`` with the 4F data, which no host can frame."""
    egm, host = synced()
    host.incident(egm, "bill", dollars=20)
    rte_on(host)
    frame = event_frame(host.gp())
    assert (frame.code, frame.data) == (BILL_CODES[20], b"")


# --- loop break (§1.7) --------------------------------------------------------------------


def test_loop_break_chirps_every_200_ms_and_needs_a_resync() -> None:
    egm = make_egm()
    line = SasLine([egm])
    host = Host(line)
    host.sync()
    start = host.now
    assert egm.chirp(start + 4.9) is None
    assert egm.next_deadline(start + 4.9) == pytest.approx(start + LOOP_BREAK_AFTER)
    chirps = [line.tick(start + LOOP_BREAK_AFTER + 0.05 * n) for n in range(9)]
    heard = [reply.data for replies in chirps for reply in replies]
    assert heard == [b"\x01"] * 3  # at 0, 200 and 400 ms
    assert all(reply.delay == 0 for replies in chirps for reply in replies)
    assert egm.stats.chirps == 3
    assert not egm.synced
    in_break = start + LOOP_BREAK_AFTER + 0.45
    assert egm.next_deadline(in_break) == pytest.approx(
        start + LOOP_BREAK_AFTER + 3 * CHIRP_INTERVAL
    )
    assert host.send(b"\x81", at=in_break + 0.01) == b""  # its own address: still ignored
    assert line.tick(in_break + 0.3) == []  # an address byte ends the loop break
    host.send(b"\x80", at=in_break + 0.35)
    assert host.gp() == b"\x00"


def test_a_machine_that_does_not_chirp_still_needs_a_resync_after_a_loop_break() -> None:
    egm, host = synced(make_egm(config=EgmConfig(chirp=False)))
    assert egm.chirp(host.now + 10) is None
    assert egm.next_deadline(host.now) == pytest.approx(host.now + 1.0)
    assert host.send(b"\x81", at=host.now + LOOP_BREAK_AFTER) == b""
    host.sync()
    assert host.gp() == b"\x00"


def test_a_loop_break_is_an_implied_nack_the_resync_acknowledges_nothing() -> None:
    """A reply the host never saw (the link broke) is reported again, not acknowledged."""
    egm, host = synced(make_egm(config=EgmConfig(chirp=False)))
    host.incident(egm, "door_open", door="slot")
    assert host.gp() == b"\x11"  # reported ... and the link breaks before the host moves on
    host.now += LOOP_BREAK_AFTER + 1.0
    host.sync()  # the resync after the break: a poll to another address
    assert acked(egm) == []
    assert host.gp() == b"\x11"  # the same exception again
    host.sync()
    assert acked(egm) == [seq_of(egm, 0x11)]


def test_an_unpowered_machine_does_not_chirp() -> None:
    egm, host = synced()
    host.incident(egm, "power_cycle", seconds=100.0)
    assert egm.chirp(host.now + 10) is None
    assert egm.next_deadline(host.now) == pytest.approx(host.now + 1.0)


# --- multi-drop (SasLine) -------------------------------------------------------------------


def test_on_a_multidrop_line_only_the_addressed_machine_answers() -> None:
    ledger = LedgerWriter(None)
    egms = [make_egm(n, machine_id=f"sim-00{n}", ledger=ledger) for n in (1, 2, 3)]
    line = SasLine(egms)
    host = Host(line)
    host.sync()
    for egm in egms:
        host.incident(egm, "door_open")
    first = line.receive(b"\x81", 0.1)
    assert [reply.data for reply in first] == [bytes([SLOT_OPENED])]
    second = line.receive(b"\x82", 0.2)  # acknowledges address 1's reply
    assert [reply.data for reply in second] == [bytes([SLOT_OPENED])]
    acks = [(r.machine, r.seq) for r in ledger.records if isinstance(r, AckRecord)]
    assert acks == [("sim-001", 1)]
    third = line.receive(requests.read(3, 0x1A).encode().data, 0.3)
    assert len(third) == 1
    assert reply_as(SingleMeter, third[0].data, 0x1A, address=3).command == 0x1A
    acks = [(r.machine, r.seq) for r in ledger.records if isinstance(r, AckRecord)]
    assert acks == [("sim-001", 1), ("sim-002", 1)]
    assert line.next_deadline(0.3) == pytest.approx(0.3 + LOOP_BREAK_AFTER)


def test_hear_takes_frames_directly() -> None:
    egm = make_egm()
    assert egm.hear(GeneralPollReceived(address=0), 0.1) is None
    reply = egm.hear(GeneralPollReceived(address=1), 0.2)
    assert reply is not None and reply.data == b"\x00"
    request = requests.read(1, 0x54)
    frame = LongPollReceived(request=request, raw=request.encode().data)
    reply = egm.hear(frame, 0.3)
    assert reply is not None
    assert reply_as(VersionSerial, reply.data, 0x54).serial == "sim-001"
    garbage = Fault(kind=FaultKind.GARBAGE, reason="junk", raw=b"\x05")
    assert egm.hear(garbage, 0.4) is None


# --- timing ------------------------------------------------------------------------------


def test_replies_come_3_ms_after_the_poll_by_default() -> None:
    _, host = synced()
    [reply] = host.line.receive(b"\x81", host.now + 0.05)
    assert reply.delay == pytest.approx(0.003)
    assert EgmConfig().reply_delay == 0.003


def test_wire_pace_adds_the_wire_time_of_each_byte() -> None:
    _, host = synced(make_egm(config=EgmConfig(wire_pace=True, reply_delay=0.001)))
    [short] = host.line.receive(b"\x81", host.now + 0.05)
    [long] = host.line.receive(requests.read(1, 0x1A).encode().data, host.now + 0.1)
    assert short.delay == pytest.approx(0.001 + 11 / 19200)
    assert long.delay == pytest.approx(0.001 + 8 * 11 / 19200)


def test_seeded_generators_differ_per_machine_and_repeat_per_seed() -> None:
    assert seeded(3, 0).random() == seeded(3, 0).random()
    assert seeded(3, 0).random() != seeded(3, 1).random()


# --- event codes (sas_codes) ----------------------------------------------------------------


def event(kind: Kind, **data: int | str) -> MachineEvent:
    return MachineEvent(kind=kind, at=0.0, data=data)


@pytest.mark.parametrize(("kind", "code"), list(SIMPLE_CODES.items()))
def test_simple_events_map_to_their_exception(kind: Kind, code: int) -> None:
    assert sas_report(event(kind)) == SasReport(code=code)


@pytest.mark.parametrize("door", list(Door))
def test_doors_open_and_close(door: Door) -> None:
    opened = sas_report(event(Kind.DOOR_OPENED, door=door.value))
    closed = sas_report(event(Kind.DOOR_CLOSED, door=door.value))
    assert (opened.code, closed.code) == DOOR_CODES[door]


@pytest.mark.parametrize("tilt", list(Tilt))
def test_tilts(tilt: Tilt) -> None:
    assert sas_report(event(Kind.TILT, tilt=tilt.value)).code == TILT_CODES[tilt]


def test_bills_have_their_own_code_and_4f_data() -> None:
    twenty = sas_report(event(Kind.BILL_ACCEPTED, dollars=20), bill_count=7)
    assert twenty.code == 0x4A
    assert LastBill.decode(0x4F, twenty.rte_data) == LastBill(country=37, bill_code=4, count=7)
    other = sas_report(event(Kind.BILL_ACCEPTED, dollars=25))
    assert other.code == 0x4F
    odd = sas_report(event(Kind.BILL_ACCEPTED, dollars=1_000_000))
    assert LastBill.decode(0x4F, odd.rte_data).bill_code == 0xFF
    assert rte_code(twenty) == 0x4F and rte_code(SasReport(code=0x50)) == 0x4F
    assert rte_code(SasReport(code=0x51)) == 0x51 and rte_code(SasReport(code=0x46)) == 0x46


def test_games_carry_bcd_data_and_values_given_as_text_are_read() -> None:
    started = sas_report(event(Kind.GAME_STARTED, wager_credits=12345, coin_in="123456789"))
    assert started.code == 0x7E
    decoded = GameStarted.decode(started.rte_data)
    assert (decoded.credits_wagered, decoded.coin_in_meter) == (9999, 23456789)  # capped, rolled
    ended = sas_report(event(Kind.GAME_ENDED))
    assert (ended.code, GameEnded.decode(ended.rte_data).win) == (0x7F, 0)


# --- property -------------------------------------------------------------------------------

INCIDENTS: list[tuple[str, dict[str, object]]] = [
    ("door_open", {}),
    ("door_close", {}),
    ("door_open", {"door": "belly"}),
    ("door_close", {"door": "belly"}),
    ("bill", {"dollars": 20}),
    ("bill", {"dollars": 25}),
    ("handpay", {"amount_credits": 150_000}),
    ("ticket_out", {}),
    ("ticket_in", {"amount_cents": 500}),
    ("tilt", {"tilt": "reel", "seconds": 1.0}),
    ("card_in", {}),
    ("card_out", {}),
    ("options_changed", {}),
    ("power_cycle", {"seconds": 0.5}),
]
HOST_ACTIONS = ["gp", "other", "repeat", "lp1a", "lp54", "lp6f", "rte_on", "rte_off", "wait"]
ACTION = st.one_of(
    st.sampled_from(HOST_ACTIONS),
    st.integers(0, len(INCIDENTS) - 1),
    st.just("burst"),
)
LONG_POLLS = {
    "lp1a": requests.read(1, 0x1A),
    "lp54": requests.read(1, 0x54),
    "lp6f": requests.extended_meters(1, 0, [0x00, 0x0C, 0x0D, 0x7FFF]),
    "rte_on": requests.real_time_events(1, enabled=True),
    "rte_off": requests.real_time_events(1, enabled=False),
}


def _expect(action: str) -> Expectation | None:
    """What the host waits for; RTE may be on (a 0E can be answered by an event instead)."""
    if action == "gp":
        return ExpectGeneralPoll(address=1, rte=True)
    if action in LONG_POLLS:
        return ExpectLongPoll(address=1, command=LONG_POLLS[action].command, rte=True)
    return None


@settings(max_examples=150, deadline=None)
@example(actions=[0, "gp", "burst", "other"], seed=1)  # the reported exception is lost
@example(actions=[4, "rte_on", "gp", "repeat", "lp1a"], seed=1)  # a note, then RTE
@given(st.lists(ACTION, max_size=80), st.integers(0, 2**16))
def test_every_event_is_acked_at_most_once_in_fifo_order_and_replies_decode(
    actions: list[str | int], seed: int
) -> None:
    model = MachineModel("sim-001", random.Random(seed), rates=QUIET)
    egm = SasEgm(address=1, model=model, ledger=LedgerWriter(None))
    host = Host(SasLine([egm]))
    host.sync()
    last: tuple[bytes, Expectation | None] = (b"\x80", None)
    for action in actions:
        if isinstance(action, int):
            kind, params = INCIDENTS[action]
            host.incident(egm, kind, **params)
            continue
        if action == "burst":
            for n in range(egm.queue.depth + 2):
                host.incident(egm, "door_open" if n % 2 == 0 else "door_close")
            continue
        if action == "wait":
            host.now += 6.0
            host.line.tick(host.now)
            continue
        if action == "repeat":
            data, expectation = last
        elif action == "other":
            data, expectation = b"\x82", None
        elif action == "gp":
            data, expectation = b"\x81", _expect(action)
        else:
            data, expectation = LONG_POLLS[action].encode().data, _expect(action)
        raw = host.send(data)
        last = (data, expectation)
        if expectation is None or raw == b"":  # silence: unsynced, unpowered, final NACK
            assert expectation is not None or raw == b""
            continue
        for frame in decode(expectation, raw):
            assert not isinstance(frame, Fault), (action, raw, frame)
            if isinstance(frame, DataFrame):
                assert not isinstance(decode_reply(frame), Fault)
            elif isinstance(frame, EventFrame):
                assert not isinstance(decode_event(frame), Fault)
            else:
                assert isinstance(frame, ExceptionFrame | AckFrame)
    ledger = Ledger.from_records(egm.ledger.records)  # at most one ack, none after a drop
    seqs = acked(egm)
    assert len(seqs) == len(set(seqs))
    codes = {record.seq: record.code for record in records(egm, EventRecord)}
    fifo = [seq for seq in seqs if not getattr(lookup(codes[seq]), "priority", False)]
    assert fifo == sorted(fifo)
    entries = ledger.entries("sim-001")
    assert sum(entry.state is EntryState.ACKED for entry in entries) == len(seqs)


def test_queue_entries_without_a_ledger_seq_are_not_dropped_twice() -> None:
    egm, _ = synced()
    for n in range(egm.queue.depth):
        egm.queue.push(Entry(code=0x11 if n % 2 == 0 else 0x12, event="door_opened"))
    egm.report([event(Kind.DOOR_OPENED, door="slot")], 1.0)
    [dropped] = records(egm, DroppedRecord)
    assert dropped.seq == seq_of(egm, 0x11)
