"""What a host session takes (configuration) and gives (events), in the line contract's terms.

The session's events are those of ``protocols.line``: link up/down, poll
failures, faults and command outcomes are the neutral types themselves;
what a machine reported is a ``MachineReport`` subclass still in SAS terms
(codes, messages), which only the agent's SAS adapter reads. A report with
``gate`` set carries machine data the session will acknowledge with its
next poll: the caller makes it durable and calls
``SasHostSession.confirm_durable(gate)`` before the line moves on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..line import CommandDone, FaultReceived, LinkDown, LinkUp, MachineReport, PollFailed
from .exception_codes import ExceptionInfo
from .frames import Fault
from .messages import Features, GameConfiguration, Message, RteEvent, VersionSerial
from .meter_codes import CORE_METERS
from .requests import LongPollRequest


class MeterMethod(Enum):
    """How a machine's meters are read (reference §5, stepdown order)."""

    EXTENDED = "extended"  # 6F / AF alternating, up to 12 meters a poll
    SELECTED = "selected"  # 2F, up to 10 meters a poll
    LEGACY = "legacy"  # 1C + 1A + 10


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionConfig:
    """Timing and policy of one line. Times in seconds."""

    reply_timeout: float = 0.1
    """From the end of a poll to giving up on its reply (spec: reply starts within 20 ms)."""
    inter_byte_gap: float = 0.02
    """Quiet time after the last byte that ends a reply."""
    poll_interval: float = 0.2
    """Minimum time between two polls to the same machine (40 ms for fast machines)."""
    retries: int = 2
    """Identical re-sends after the first try (reference §1.9: original + 2)."""
    offline_after_failures: int = 30
    offline_after_silence: float = 5.0
    offline_probe_interval: float = 1.0
    """Between probes of a machine that is not up (each probe with its identical retries)."""
    sync_address: int = 0
    sync_settle: float = 0.005
    meter_interval: float = 60.0
    meter_codes: tuple[int, ...] = tuple(CORE_METERS)
    meter_method: MeterMethod | None = None
    """Force a meter method; ``None`` chooses from LP 54 / A0 and steps down on failure."""
    real_time_events: bool | None = False
    """Send 0E with this value when identifying; ``None`` leaves the machine as it is."""
    gate_keepalive: float = 2.0
    """While waiting for durability, re-send the identical poll this often (an implied NACK)."""


@dataclass(slots=True, kw_only=True)
class MachineProfile:
    """What identification learned about a machine."""

    address: int
    version: VersionSerial | None = None
    configuration: GameConfiguration | None = None
    features: Features | None = None
    game_count: int | None = None
    enabled_games: tuple[int, ...] = ()
    meter_method: MeterMethod | None = None

    @property
    def denomination_cents(self) -> int | None:
        return None if self.configuration is None else self.configuration.denomination_cents


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadMeters:
    """A command request: sweep the machine's meters now (``MetersRead``, then its outcome)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineIdentified(MachineReport):
    profile: MachineProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionReported(MachineReport):
    """An exception (general poll) or real-time event; ``event`` is set in RTE mode."""

    code: int
    info: ExceptionInfo | None
    event: RteEvent | None
    gate: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceReply(MachineReport):
    """Data read because of an exception (1B after 51, 4D after 3D, 48 after a bill ...)."""

    trigger: int
    message: Message
    gate: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RomSignatureReported(MachineReport):
    signature: int
    gate: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MetersRead(MachineReport):
    """A completed meter sweep. ``rebase``: the machine's meters were reset before it."""

    meters: dict[int, int]
    reason: str
    rebase: bool
    method: MeterMethod


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandCompleted(CommandDone):
    """The outcome of a command submitted with ``SasHostSession.submit``."""

    request: LongPollRequest | ReadMeters
    message: Message | None = None


SessionEvent = (
    LinkUp
    | LinkDown
    | MachineIdentified
    | ExceptionReported
    | ServiceReply
    | RomSignatureReported
    | MetersRead
    | CommandCompleted
    | PollFailed
    | FaultReceived
)


def fault_event(address: int | None, fault: Fault) -> FaultReceived:
    """The line contract's fault event for a fault of the SAS deframer or decoder."""
    return FaultReceived(address=address, kind=fault.kind.value, reason=fault.reason, raw=fault.raw)
