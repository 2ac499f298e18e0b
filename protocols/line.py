"""The line contract: what the agent needs from the host session of any serial protocol.

One serial line, one session, one or more machines (addresses) on it. The
agent's poller drives every session the same way (docs/architecture.md,
"The seam")::

    out = session.poll(now)                  # Outgoing | None: bytes + wake-up flag
    write out.data; read until session.next_deadline()
    session.receive_data(data, now)
    if now >= session.next_deadline(): session.handle_timeout(now)
    for event in session.events(): the protocol's adapter maps it
    commit what it mapped, then session.confirm_durable(session.gate)

Rules every session keeps:

1. Sans-I/O: no I/O, no clock. Time is ``now``, monotonic seconds, passed
   in; ``next_deadline()`` says when the session next needs the caller (it
   may be in the past: call at once).
2. ``receive_data`` never raises. Junk, bad CRCs, truncation and silence
   come out as ``FaultReceived`` events (counted in ``LinkStats``), and the
   session resyncs. Only misuse by our own code raises.
3. Durable before acknowledged. A report that the session will acknowledge
   to the machine carries a ``gate`` token; while ``gate`` is not ``None``
   the session sends nothing that acknowledges it, until the caller has
   committed the mapped events and called ``confirm_durable(gate)``.
4. Every submitted ``Command`` ends in exactly one ``CommandDone`` with its
   tag: done, refused (machine offline, not supported) or failed.
5. Event kinds are protocol-neutral; what a machine reported rides in a
   ``MachineReport`` subclass of the protocol's own, which only that
   protocol's adapter reads. Link statistics are one neutral ``LinkStats``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

RECENT_SAMPLES = 256
"""How many recent poll intervals and latencies ``LinkStats`` keeps per machine."""


class Outgoing(Protocol):
    """Bytes to write; ``wakeup`` marks the first byte (SAS's 9th bit), if the line has one."""

    @property
    def data(self) -> bytes: ...

    @property
    def wakeup(self) -> bool: ...


# --- session events ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkUp:
    """The machine at ``address`` answers again (or for the first time)."""

    address: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkDown:
    """The machine at ``address`` stopped answering; ``reason`` says how."""

    address: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineReport:
    """Base of what a machine reported; each protocol subclasses it with its content.

    ``gate`` is set when the session will acknowledge the report to the
    machine: the caller makes what it maps durable, then confirms the gate.
    """

    address: int
    gate: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandDone:
    """The outcome of the ``Command`` submitted with ``tag``; ``reason`` when not ``ok``."""

    address: int
    tag: str
    ok: bool
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PollFailed:
    """A request got no valid reply after every retry; ``command`` is the protocol's code."""

    address: int
    command: int | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultReceived:
    """A counted fault in received bytes: its kind (``bad_crc``, ``garbage`` ...) and bytes."""

    address: int | None
    kind: str
    reason: str
    raw: bytes = b""


LineEvent = LinkUp | LinkDown | MachineReport | CommandDone | PollFailed | FaultReceived


# --- commands and statistics -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A command for one machine: the adapter builds ``request``, the session carries it.

    ``request`` is the protocol's own request (a SAS long poll, a GAPI
    CONTROL ...); a session refuses, as our own bug, a request that is not
    one of its protocol's.
    """

    address: int
    tag: str
    request: object


@dataclass(slots=True, kw_only=True)
class LinkStats:
    """Counters of one machine's link, for the status page and metrics."""

    address: int
    online: bool = False
    polls: int = 0
    replies: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    nacks: int = 0
    busy: int = 0
    faults: int = 0
    failed_polls: int = 0
    reports: int = 0
    """Events the machine reported (SAS exceptions, GAPI events)."""
    last_reply_at: float | None = None
    last_poll_at: float | None = None
    consecutive_failures: int = 0
    fault_counts: dict[str, int] = field(default_factory=dict)
    recent_intervals: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_SAMPLES))
    """Seconds between consecutive polls to this machine, the most recent last."""
    recent_latencies: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_SAMPLES))
    """Poll latency: seconds from the last poll sent to this machine to its valid reply."""

    def count_fault(self, kind: str) -> None:
        self.faults += 1
        self.fault_counts[kind] = self.fault_counts.get(kind, 0) + 1


# --- the session ---------------------------------------------------------------------


class LineSession(Protocol):
    """The host session of one line, as the poller drives it (see the module doc)."""

    @property
    def addresses(self) -> tuple[int, ...]:
        """The machines this session polls."""
        ...

    @property
    def gate(self) -> int | None:
        """The token of the report awaiting durability, if any (rule 3)."""
        ...

    def poll(self, now: float) -> Outgoing | None:
        """What to write now, or ``None`` (then wait until ``next_deadline``)."""
        ...

    def receive_data(self, data: bytes, now: float) -> None:
        """Feed bytes read from the line; never raises."""
        ...

    def handle_timeout(self, now: float) -> None:
        """Call when ``now`` has reached ``next_deadline()``."""
        ...

    def next_deadline(self) -> float:
        """When the session next needs ``poll`` or ``handle_timeout``."""
        ...

    def events(self) -> Sequence[LineEvent]:
        """Take the events produced since the last call."""
        ...

    def confirm_durable(self, gate: int) -> None:
        """What the report with ``gate`` stood for is committed: it may be acknowledged."""
        ...

    def submit(self, command: Command) -> None:
        """Queue a command; its outcome comes back as one ``CommandDone``."""
        ...

    def stats(self, address: int) -> LinkStats:
        """The link counters of the machine at ``address``."""
        ...
