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
from hypothesis import given, settings
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
from protocols.sas.messages import LastBill, Message, RteEvent, decode_event, decode_reply
from protocols.sas.messages.events import GameEnded, GameStarted
from protocols.sas.requests import LongPollRequest
from simulator.activity import ActivityRates
from simulator.events import Door, Kind, MachineEvent, Tilt
from simulator.faults import FaultInjector
from simulator.ledger import AckRecord, DroppedRecord, EntryState, EventRecord, Ledger, LedgerWriter
from simulator.model import MachineModel
from simulator.sas_codes import (
    BILL_CODES,
    DOOR_CODES,
    SIMPLE_CODES,
    TILT_CODES,
    SasReport,
    rte_code,
    sas_report,
)
from simulator.sas_egm import (
    CHIRP_INTERVAL,
    LOOP_BREAK_AFTER,
    EgmConfig,
    SasEgm,
    seeded,
)
from simulator.sas_line import SasLine
from simulator.sas_queue import Entry

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


# --- sync (§1.7) -------------------------------------------------------------------


def test_ignores_its_own_address_until_it_hears_a_poll_to_another() -> None:
    egm = make_egm()
    host = Host(SasLine([egm]))
    assert host.gp(1) == b""
    assert host.poll(requests.read(1, 0x1A)) == b""
    assert not egm.synced
    assert egm.stats.polls == 0
    host.sync()
    assert egm.synced
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
    assert (start.machine, getattr(start, "protocol"), getattr(start, "address")) == (
        "sim-042",
        "sas",
        7,
    )


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
    assert egm.model.powered and not egm.synced
    host.sync()
    assert host.gp() == bytes([SIMPLE_CODES[Kind.POWER_LOST]])
    host.sync()
    assert host.gp() == bytes([SIMPLE_CODES[Kind.POWER_APPLIED]])
    host.sync()
    assert host.gp() == b"\x00"
