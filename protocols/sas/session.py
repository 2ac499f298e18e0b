"""The host side of one SAS line: a state machine with time passed in.

Rules, all from reference §1.7-1.9 and §7; everything that decides what goes
on the wire lives in this file (what each poll is for lives in
``session_plan``):

1. One request is outstanding at a time. ``poll(now)`` returns the next
   frame to send or ``None``; replies are fed with ``receive_data``; when
   ``now`` reaches ``next_deadline()`` the caller calls ``handle_timeout``.
2. Start-up and every link loss begin with a sync poll to an unused address:
   machines ignore polls to themselves until they have seen one to another.
3. Implied ACK: the next poll acknowledges the last reply. The session never
   sends the same general poll, or a long poll with the same command, twice in
   a row by accident (a sync poll goes between); a retry is always the
   identical frame, at most ``retries`` times, then a sync poll and a
   counted failure.
4. Durability gate: a reply carrying machine data (an exception, an RTE event,
   a ROM signature, a service reply) is reported with a ``gate`` token and
   the line sends nothing that would acknowledge it until
   ``confirm_durable(gate)``. Only the identical poll (an implied NACK) may
   go out meanwhile, as a keep-alive.
5. Retries come before the link-down decision; link state, identification
   and exception servicing are per machine (``session_machine``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..line import Command, LinkDown, LinkStats, LinkUp, PollFailed
from .commands import ReplyShape
from .deframer import Expectation, ExpectNothing, ReplyDeframer
from .errors import LocalProtocolError
from .exception_codes import IDLE_CODES
from .frames import (
    BusyFrame,
    DataFrame,
    EventFrame,
    ExceptionFrame,
    Fault,
    FaultKind,
    NackFrame,
    PollFrame,
    Received,
    failure_reason,
)
from .messages import Message, RteEvent, decode_event, decode_reply
from .requests import LongPollRequest, general_poll, sync_poll
from .session_machine import Link, MachineState
from .session_plan import Job, Purpose, implies_nack
from .session_types import (
    MachineProfile,
    ReadMeters,
    RomSignatureReported,
    ServiceReply,
    SessionConfig,
    SessionEvent,
    fault_event,
)

MAX_REPLY_TIME = 0.3  # 260 bytes at 19200 baud is 150 ms; cut a babbling line after this


@dataclass(slots=True)
class _Exchange:
    frame: PollFrame
    expectation: Expectation
    machine: MachineState | None  # None for a sync poll
    job: Job | None  # None for a general poll
    sent_at: float
    attempts: int = 1
    keepalive: bool = False


@dataclass(slots=True)
class _Gate:
    token: int
    since: float


class SasHostSession:
    """Polls the machines at ``addresses`` on one line. Never raises on received data."""

    def __init__(
        self,
        addresses: Sequence[int],
        config: SessionConfig | None = None,
        shapes: dict[int, ReplyShape] | None = None,
    ) -> None:
        self.config = config or SessionConfig()
        if not addresses or len(set(addresses)) != len(addresses):
            raise LocalProtocolError("a line needs one or more distinct addresses")
        if any(not 1 <= a <= 0x7F for a in addresses):
            raise LocalProtocolError("machine addresses are 1-127")
        if self.config.sync_address in addresses:
            raise LocalProtocolError("the sync address must not be a machine's address")
        self._machines = {a: MachineState(address=a) for a in addresses}
        self._deframer = ReplyDeframer(shapes)
        self._exchange: _Exchange | None = None
        self._retry: _Exchange | None = None
        self._previous: _Exchange | None = None  # the last exchange sent
        self._needs_sync = True
        self._gate: _Gate | None = None
        self._gate_tokens = 0
        self._last_byte_at = -math.inf
        self._events: list[SessionEvent] = []

    # --- public API -------------------------------------------------------------

    def poll(self, now: float) -> PollFrame | None:
        """The frame to send now, or ``None`` (then wait until ``next_deadline``)."""
        if self._exchange is not None:
            return None
        if self._gate is not None:
            return self._keepalive(now)
        retry = self._retry
        if retry is not None:
            assert retry.machine is not None
            if now < retry.machine.next_poll_at:
                return None
            self._retry = None
            return self._send(replace(retry, attempts=retry.attempts + 1, sent_at=now), now)
        if self._needs_sync:
            return self._send_sync(now)
        machine = self._due_machine(now)
        if machine is None:
            return self._early_sync(now)
        job = machine.next_job(now, self.config)
        frame = job.request.encode() if job else general_poll(machine.address)
        if self._previous is not None and implies_nack(self._previous.frame, frame):
            return self._send_sync(now)
        if job is not None:
            machine.take(job)
        expectation = machine.expectation(job)
        return self._send(_Exchange(frame, expectation, machine, job, sent_at=now), now)

    def receive_data(self, data: bytes, now: float) -> None:
        """Feed bytes read from the line."""
        if data:
            self._last_byte_at = now
            self._process(self._deframer.receive_data(data), now)

    def handle_timeout(self, now: float) -> None:
        """Call when ``now`` has reached ``next_deadline()``."""
        exchange = self._exchange
        if exchange is None:
            if self._deframer.buffered and now >= self._last_byte_at + self.config.inter_byte_gap:
                self._process(self._deframer.end_of_reply(), now)
            return
        if now >= self._reply_cut(exchange):
            self._process(self._deframer.end_of_reply(), now)
            if self._exchange is exchange:  # a sync poll: nothing was expected
                self._exchange = None

    def next_deadline(self) -> float:
        """When the session next needs ``poll`` or ``handle_timeout`` (may be in the past)."""
        if self._exchange is not None:
            return self._reply_cut(self._exchange)
        if self._deframer.buffered:
            return self._last_byte_at + self.config.inter_byte_gap
        if self._gate is not None:
            return self._gate.since + self.config.gate_keepalive
        if self._retry is not None and self._retry.machine is not None:
            return self._retry.machine.next_poll_at
        if self._needs_sync:
            return -math.inf
        return min(m.next_poll_at for m in self._machines.values())

    def events(self) -> list[SessionEvent]:
        """Take the events produced since the last call."""
        events, self._events = self._events, []
        return events

    @property
    def gate(self) -> int | None:
        """The token of the event awaiting durability, if any."""
        return None if self._gate is None else self._gate.token

    def confirm_durable(self, gate: int) -> None:
        """The event carrying ``gate`` is durable: the line may acknowledge it."""
        if self._gate is None or self._gate.token != gate:
            raise LocalProtocolError(f"gate {gate} is not the open gate ({self.gate})")
        self._gate = None

    def submit(self, command: Command) -> None:
        """Queue a command (a long poll: enable, disable, handpay reset, set time ...; or
        ``ReadMeters``) for a machine; its outcome comes back as a ``CommandCompleted``."""
        request = command.request
        if isinstance(request, LongPollRequest):
            if request.address != command.address:
                raise LocalProtocolError("the request is addressed to another machine")
        elif not isinstance(request, ReadMeters):
            raise LocalProtocolError(f"not a SAS command request: {request!r}")
        refused = self._machine(command.address).submit(request, command.tag)
        if refused is not None:
            self._emit(refused)

    def request_meters(self, address: int, reason: str = "request") -> None:
        """Read the machine's meters as soon as the line allows."""
        self._machine(address).schedule_meters(-math.inf, reason)

    def stats(self, address: int) -> LinkStats:
        return self._machine(address).stats

    def profile(self, address: int) -> MachineProfile:
        return self._machine(address).profile

    @property
    def addresses(self) -> tuple[int, ...]:
        return tuple(self._machines)

    # --- sending ------------------------------------------------------------------

    def _machine(self, address: int) -> MachineState:
        try:
            return self._machines[address]
        except KeyError:
            raise LocalProtocolError(f"no machine at address {address} on this line") from None

    def _due_machine(self, now: float) -> MachineState | None:
        due = [m for m in self._machines.values() if m.next_poll_at <= now]
        return min(due, key=lambda m: m.next_poll_at) if due else None

    def _early_sync(self, now: float) -> PollFrame | None:
        """While waiting, send the sync poll the next poll will need anyway (rule 3).

        It acknowledges the last reply at once instead of when the next poll is
        due, so that poll goes out on time.
        """
        if self._previous is None or self._previous.machine is None:  # nothing, or a sync poll
            return None
        last = self._previous.frame
        upcoming = min(self._machines.values(), key=lambda m: m.next_poll_at)
        job = upcoming.next_job(now, self.config)
        frame = job.request.encode() if job else general_poll(upcoming.address)
        return self._send_sync(now) if implies_nack(last, frame) else None

    def _send(self, exchange: _Exchange, now: float) -> PollFrame:
        self._garbage(self._deframer.expect(exchange.expectation), exchange.machine)
        self._exchange = self._previous = exchange
        machine = exchange.machine
        if machine is not None and not exchange.keepalive:
            machine.sent(now, general=exchange.job is None, config=self.config)
        return exchange.frame

    def _send_sync(self, now: float) -> PollFrame:
        self._needs_sync = False
        frame = sync_poll(self.config.sync_address)
        return self._send(_Exchange(frame, ExpectNothing(), None, None, sent_at=now), now)

    def _keepalive(self, now: float) -> PollFrame | None:
        """While gated, repeat the identical poll now and then: an implied NACK."""
        gate, previous = self._gate, self._previous
        assert gate is not None
        if now < gate.since + self.config.gate_keepalive or previous is None:
            return None
        gate.since = now
        return self._send(replace(previous, sent_at=now, keepalive=True), now)

    def _reply_cut(self, exchange: _Exchange) -> float:
        if exchange.machine is None:
            return exchange.sent_at + self.config.sync_settle
        if self._deframer.buffered:  # a reply is arriving: it ends when the line goes quiet
            gap_end = self._last_byte_at + self.config.inter_byte_gap
            return min(gap_end, exchange.sent_at + MAX_REPLY_TIME)
        return exchange.sent_at + self.config.reply_timeout

    # --- receiving ------------------------------------------------------------------

    def _emit(self, event: SessionEvent) -> None:
        self._events.append(event)

    def _garbage(self, results: list[Received], machine: MachineState | None) -> None:
        for result in results:
            assert isinstance(result, Fault)
            if machine is not None:
                machine.stats.count_fault(result.kind.value)
            self._emit(fault_event(None if machine is None else machine.address, result))

    def _process(self, results: list[Received], now: float) -> None:
        for result in results:
            exchange = self._exchange
            if isinstance(result, Fault) and result.kind is FaultKind.GARBAGE:
                self._garbage([result], None if exchange is None else exchange.machine)
            elif exchange is not None and exchange.machine is not None:
                self._exchange = None
                self._complete(exchange, exchange.machine, result, now)

    def _complete(
        self, exchange: _Exchange, machine: MachineState, result: Received, now: float
    ) -> None:
        message = None
        if isinstance(result, DataFrame) and exchange.job is not None:
            decoded = decode_reply(result)
            result, message = (decoded, None) if isinstance(decoded, Fault) else (result, decoded)
        if exchange.keepalive:  # the same reply again: already reported
            if not isinstance(result, Fault | NackFrame | BusyFrame):
                machine.reply_ok(now, self.config)
            return
        if isinstance(result, Fault | NackFrame | BusyFrame):
            self._failed(exchange, machine, result, now)
            return
        if machine.reply_ok(now, self.config):
            self._emit(LinkUp(address=machine.address))
        if exchange.job is None:
            self._general_poll_reply(machine, result, now)
        else:
            self._long_poll_reply(machine, exchange.job, result, message, now)

    def _failed(
        self,
        exchange: _Exchange,
        machine: MachineState,
        result: Fault | NackFrame | BusyFrame,
        now: float,
    ) -> None:
        machine.count_failure(result)
        silent = isinstance(result, Fault) and result.kind is FaultKind.NO_REPLY
        if isinstance(result, Fault) and not silent:
            self._emit(fault_event(machine.address, result))
        # Retries come first, even past the link-down threshold and for a machine that is
        # not up: any other poll would acknowledge a reply we never saw (a machine coming
        # back whose first reply is lost), while a compliant machine keeps its data after
        # the third identical poll (reference §1.8 rule 3, §1.9).
        if exchange.attempts <= self.config.retries:
            machine.retry_after(exchange.sent_at, self.config)
            self._retry = exchange
            return
        if machine.link is not Link.DOWN and machine.silent_too_long(now, self.config):
            self._emit(LinkDown(address=machine.address, reason=failure_reason(result)))
            self._events += machine.go_down(now, self.config)
        command = None if exchange.job is None else exchange.job.request.command
        if machine.link is Link.UP or exchange.job is not None:
            machine.stats.failed_polls += 1
            self._emit(
                PollFailed(address=machine.address, command=command, reason=failure_reason(result))
            )
        self._needs_sync = True
        if exchange.job is not None:
            self._events += machine.job_failed(exchange.job, now, self.config)

    def _open_gate(self, now: float) -> int:
        self._gate_tokens += 1
        self._gate = _Gate(token=self._gate_tokens, since=now)
        return self._gate_tokens

    def _report_exception(
        self, machine: MachineState, code: int, event: RteEvent | None, now: float
    ) -> None:
        gate = self._open_gate(now)
        self._emit(machine.exception_reported(code, event, gate=gate, config=self.config))

    def _report_event_frame(self, machine: MachineState, frame: EventFrame, now: float) -> None:
        decoded = decode_event(frame)
        if isinstance(decoded, Fault):
            self._emit(fault_event(machine.address, decoded))
            machine.stats.count_fault(decoded.kind.value)
            decoded = RteEvent(code=frame.code, data=None, raw_data=frame.data)
        if frame.code not in IDLE_CODES:
            self._report_exception(machine, frame.code, decoded, now)

    def _general_poll_reply(self, machine: MachineState, frame: Received, now: float) -> None:
        if isinstance(frame, ExceptionFrame):
            if frame.code not in IDLE_CODES:
                self._report_exception(machine, frame.code, None, now)
        elif isinstance(frame, EventFrame):
            self._report_event_frame(machine, frame, now)
        elif isinstance(frame, DataFrame):  # the ROM signature result (reference §3.7)
            machine.signature_pending = False
            signature = int.from_bytes(frame.data[:2], "little")
            gate = self._open_gate(now)
            self._emit(
                RomSignatureReported(address=machine.address, signature=signature, gate=gate)
            )

    def _long_poll_reply(
        self, machine: MachineState, job: Job, frame: Received, message: Message | None, now: float
    ) -> None:
        if isinstance(frame, EventFrame):
            # An event in place of the reply: the poll was NACKed, ask again after the event.
            machine.requeue(job)
            self._report_event_frame(machine, frame, now)
            return
        if job.purpose is Purpose.SERVICE and message is not None:
            gate = self._open_gate(now)
            self._emit(
                ServiceReply(
                    address=machine.address, trigger=job.trigger or 0, message=message, gate=gate
                )
            )
        self._events += machine.job_done(job, message, now, self.config)
