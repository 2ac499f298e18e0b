"""What a host session takes (configuration) and gives (events, statistics).

Events are the session's output, still in SAS terms (codes, messages); the
agent turns them into canonical events. An event with ``gate`` set carries
machine data the session will acknowledge with its next poll: the caller
must make it durable and call ``SasHostSession.confirm_durable(gate)``
before the line moves on.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum

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


RECENT_INTERVALS = 256


@dataclass(slots=True, kw_only=True)
class MachineStats:
    """Counters of one machine, for the status page and metrics."""

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
    exceptions: int = 0
    last_reply_at: float | None = None
    last_poll_at: float | None = None
    consecutive_failures: int = 0
    fault_counts: dict[str, int] = field(default_factory=dict)
    recent_intervals: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_INTERVALS))
    """Seconds between consecutive polls to this machine, the most recent last."""
    recent_latencies: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_INTERVALS))
    """Poll latency: seconds from the last poll sent to this machine to its valid reply."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkUp:
    address: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkDown:
    address: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineIdentified:
    address: int
    profile: MachineProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionReported:
    """An exception (general poll) or real-time event; ``event`` is set in RTE mode."""

    address: int
    code: int
    info: ExceptionInfo | None
    event: RteEvent | None
    gate: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceReply:
    """Data read because of an exception (1B after 51, 4D after 3D, 48 after a bill ...)."""

    address: int
    trigger: int
    message: Message
    gate: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RomSignatureReported:
    address: int
    signature: int
    gate: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MetersRead:
    """A completed meter sweep. ``rebase``: the machine's meters were reset before it."""

    address: int
    meters: dict[int, int]
    reason: str
    rebase: bool
    method: MeterMethod


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandCompleted:
    """The outcome of a command submitted with ``SasHostSession.submit``."""

    address: int
    tag: str
    request: LongPollRequest
    ok: bool
    message: Message | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PollFailed:
    """A poll got no valid reply after every retry."""

    address: int
    command: int | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultReceived:
    """A counted fault in received bytes."""

    address: int | None
    fault: Fault


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
