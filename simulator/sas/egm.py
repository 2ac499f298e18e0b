"""A strict SAS machine (EGM): link behaviour around one simulated machine.

Time is passed in and nothing here does I/O; ``links`` moves the bytes.
The behaviour follows reference §1.7-1.9 and §3.1 to the letter, because
the simulator must catch hosts that only work with lenient machines:

* after power-up or a loop break the machine ignores polls to its own address
  until it sees a poll to another address (or a broadcast);
* the next poll acknowledges the last reply: the same general poll, or a
  long poll with the same command, gets the same reply again (implied NACK);
  the third identical poll gets silence and the data is kept (final NACK);
  anything else acknowledges it and the reported exception leaves the queue;
* a long poll with a bad CRC is NACKed; an unsupported long poll is ignored;
* after 5 s without an address byte the machine is in loop break and chirps
  its address every 200 ms; the loop break is an implied NACK of its last
  reply (as Monaco's HostAcknowledgementProvider.LinkDown), so the poll that
  resynchronises it acknowledges nothing;
* in real-time event mode (LP 0E) events are reported as ``addr FF code
  data CRC``, to general polls and in place of long-poll replies.

Each event is written to the ledger when the machine first reports it (so
the ledger's order is the order the host sees, priority exceptions first),
or when it is lost unreported; its acknowledgement follows when the host
gives it. The overflow exception 70 is an event of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from protocols.sas import (
    Fault,
    GeneralPollReceived,
    HostFrame,
    LongPollReceived,
    decode_request,
    encode_event,
    exception_reply,
    fault_reply,
    nack_reply,
)

from ..events import MachineEvent
from ..faults import FaultInjector
from ..ledger import LedgerWriter
from ..model import MachineModel
from ..wire import Reply
from .codes import rte_code, sas_report
from .longpolls import Answer, LongPollResponder
from .queue import Entry, ExceptionQueue

LOOP_BREAK_AFTER = 5.0
POWER_CYCLE_SECONDS = 3.0
CHIRP_INTERVAL = 0.2


@dataclass(frozen=True, slots=True, kw_only=True)
class EgmConfig:
    """How strict and how fast a simulated machine is."""

    reply_delay: float = 0.003
    """Seconds from the end of a poll to the first reply byte (the limit is 20 ms)."""
    wire_pace: bool = False
    """Add the wire time of the reply (0.573 ms a byte at 19200 baud) to its delay."""
    fifo_depth: int = 20
    clock_origin: datetime = datetime(2026, 1, 1)
    """The machine's clock at simulation time 0 (the runner sets the wall clock)."""
    chirp: bool = True
    supported: frozenset[int] | None = None
    """Long polls this machine answers; ``None`` = every one it knows."""


BYTE_TIME = 11 / 19200


@dataclass(slots=True)
class EgmStats:
    polls: int = 0
    replies: int = 0
    events: int = 0
    acks: int = 0
    nacks: int = 0
    chirps: int = 0


@dataclass(slots=True, kw_only=True)
class SasEgm:
    """One address on a line, speaking for one ``MachineModel``."""

    address: int
    model: MachineModel
    ledger: LedgerWriter
    config: EgmConfig = field(default_factory=EgmConfig)
    faults: FaultInjector | None = None
    queue: ExceptionQueue = field(init=False)
    responder: LongPollResponder = field(init=False)
    stats: EgmStats = field(default_factory=EgmStats)
    synced: bool = False
    rte: bool = False
    _seq: int = 0
    _last_key: bytes | None = None
    _last_reply: bytes | None = None
    _repeats: int = 0
    _on_ack: Callable[[float], None] | None = None
    _last_address_byte: float = 0.0
    _next_chirp: float = 0.0
    _was_powered: bool = True

    def __post_init__(self) -> None:
        self.queue = ExceptionQueue(depth=self.config.fifo_depth)
        self.responder = LongPollResponder(self)
        self.ledger.start(self.machine_id, "sas", self.address)

    @property
    def machine_id(self) -> str:
        return self.model.machine_id

    # --- time ---------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Run the machine (activity, power, timed faults) up to ``now``."""
        if self.faults is not None:
            for fault in self.faults.due(now):
                self._machine_fault(fault, now)
        self.report(self.model.advance(now), now)
        if not self.model.powered:
            self._was_powered = False
        elif not self._was_powered:  # power came back: wait for a resync
            self._was_powered = True
            self.synced = False
            self._forget_last()
            self._last_address_byte = now

    def chirp(self, now: float) -> Reply | None:
        """In loop break (5 s without an address byte) the address, every 200 ms."""
        if not self.config.chirp or not self.model.powered:
            return None
        if self.faults is not None and self.faults.silent(now):
            return None
        if now - self._last_address_byte < LOOP_BREAK_AFTER:
            return None
        self.synced = False
        if now < self._next_chirp:
            return None
        self._next_chirp = now + CHIRP_INTERVAL
        self.stats.chirps += 1
        return Reply(bytes([self.address]), 0.0)

    def _machine_fault(self, fault: str, now: float) -> None:
        if fault == "power_cycle":
            self.report(self.model.power_cycle(now, POWER_CYCLE_SECONDS), now)
            return
        # fifo_overflow: a burst of real events (the belly door, open and shut)
        # that the queue cannot hold; the oldest are lost and 70 is raised.
        for _ in range(self.queue.depth // 2 + 3):
            self.report(self.model.incident("door_open", now, door="belly"), now)
            self.report(self.model.incident("door_close", now, door="belly"), now)

    def next_deadline(self, now: float) -> float:
        if self.config.chirp and self.model.powered:
            loop_break = self._last_address_byte + LOOP_BREAK_AFTER
            return max(loop_break, self._next_chirp) if now >= loop_break else loop_break
        return now + 1.0

    # --- events -------------------------------------------------------------------

    def report(self, events: list[MachineEvent], now: float) -> None:
        """Queue the exceptions for ``events`` (the ledger records them when reported)."""
        for event in events:
            sas = sas_report(event, bill_count=self.responder.bill_count(event))
            code = rte_code(sas) if self.rte else sas.code
            # A note's own code (47-50) has no RTE data: were RTE switched on before it is
            # reported, ``addr FF 4A`` must not carry the 4F data (a host could not frame it).
            rte_data = sas.rte_data if code == rte_code(sas) else b""
            entry = Entry(code=code, rte_data=rte_data, event=event.kind.value)
            entry.data = dict(event.data)
            self.stats.events += 1
            for lost in self.queue.push(entry):
                self._record(lost)  # lost before it was ever reported
                self.ledger.dropped(self.machine_id, lost.seq, "fifo_overflow")

    def _record(self, entry: Entry) -> None:
        """Give ``entry`` the next ledger sequence number, in the order the host sees it.

        Priority exceptions overtake the FIFO, so the ledger is written when an
        entry is first reported (or lost), not when it is queued.
        """
        if entry.seq == 0:
            self._seq += 1
            entry.seq = self._seq
            self.ledger.event(self.machine_id, entry.seq, entry.code, entry.event, entry.data)

    # --- the line -----------------------------------------------------------------

    def hear(self, frame: HostFrame | Fault, now: float) -> Reply | None:
        """Everything the host sends on this line; returns this machine's reply."""
        if not self.model.powered or (self.faults is not None and self.faults.silent(now)):
            return None
        address = frame.address
        if address is None:
            return None
        if now - self._last_address_byte >= LOOP_BREAK_AFTER:
            self.synced = False  # a loop break, chirped or not (``chirp`` may be off)
            self._forget_last()  # and a link down is an implied NACK: the data is kept
        self._last_address_byte = now
        if address != self.address:
            self.synced = True
            self._acknowledge(now)
            return None
        if not self.synced:
            return None
        if isinstance(frame, Fault):
            nack = fault_reply(frame, self.address)
            if nack is not None:
                self.stats.nacks += 1
                return self._send(nack, now)
            return None
        self.stats.polls += 1
        return self._poll(frame, now)

    def _poll(self, frame: HostFrame, now: float) -> Reply | None:
        key = frame.raw if isinstance(frame, GeneralPollReceived) else frame.raw[:2]
        if key == self._last_key and self._last_reply is not None:
            self._repeats += 1
            if self._repeats >= 2:  # third identical poll: final NACK, keep the data
                self._forget_last()
                return None
            return self._send(self._last_reply, now)
        self._acknowledge(now)
        answer = self._answer(frame, now)
        self._last_key = key if answer.cache else None
        self._last_reply = answer.data if answer.cache else None
        self._on_ack = answer.on_ack
        return self._send(answer.data, now) if answer.data else None

    def _answer(self, frame: HostFrame, now: float) -> Answer:
        if isinstance(frame, GeneralPollReceived):
            return self._general_poll(now)
        assert isinstance(frame, LongPollReceived)
        head = self.queue.head(now)
        if self.rte and head is not None:  # an event in place of the reply (§3.12)
            return self._report_entry(head)
        request = decode_request(frame.request)
        if isinstance(request, Fault):
            self.stats.nacks += 1
            return Answer(data=nack_reply(self.address), cache=False)
        supported = self.config.supported
        if supported is not None and frame.command not in supported:
            return Answer(data=b"", cache=False)
        answer = self.responder.answer(frame.command, request, now)
        if answer.data and answer.data != nack_reply(self.address):
            self.queue.service(frame.command)
        return answer

    def _general_poll(self, now: float) -> Answer:
        signature = self.responder.signature_ready(now)
        if signature is not None:
            return signature
        head = self.queue.head(now)
        if head is None:
            idle = encode_event(self.address, 0x00) if self.rte else exception_reply(0x00)
            return Answer(data=idle, cache=True)
        return self._report_entry(head)

    def _report_entry(self, entry: Entry) -> Answer:
        self._record(entry)
        if self.rte:
            data = encode_event(self.address, entry.code, entry.rte_data)
        else:
            data = exception_reply(entry.code)

        def acknowledged(at: float) -> None:
            if self.queue.acknowledge(entry, at):
                self.ledger.ack(self.machine_id, entry.seq)
                self.stats.acks += 1

        return Answer(data=data, cache=True, on_ack=acknowledged)

    def _acknowledge(self, now: float) -> None:
        if self._on_ack is not None:
            self._on_ack(now)
        self._forget_last()

    def _forget_last(self) -> None:
        self._on_ack = None
        self._last_key = None
        self._last_reply = None
        self._repeats = 0

    def _send(self, data: bytes, now: float) -> Reply | None:
        delay = self.config.reply_delay
        if self.config.wire_pace:
            delay += BYTE_TIME * len(data)
        if self.faults is not None:
            data, delay = self.faults.mangle(data, delay, now)
            if not data:
                return None
        self.stats.replies += 1
        return Reply(data, delay)
