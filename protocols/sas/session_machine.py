"""The per-machine half of the host session: link state, queues, identity, counters.

``SasHostSession`` owns the line and decides when to send; each
``MachineState`` knows what its machine needs next (``next_job``) and how a
reply or a failure changes it. Transitions that matter to the caller come
back as session events.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from ..line import LinkStats
from .deframer import ExpectGeneralPoll, ExpectLongPoll
from .exception_codes import lookup
from .frames import BusyFrame, Fault, FaultKind, NackFrame
from .messages import (
    EnabledGames,
    Features,
    GameConfiguration,
    GameCount,
    Message,
    RteEvent,
    VersionSerial,
)
from .requests import LongPollRequest
from .session_plan import (
    METER_REREAD_CODES,
    REBASE_CODES,
    RECONCILE_CODES,
    REIDENTIFY_CODES,
    Job,
    MeterSweep,
    Purpose,
    choose_meter_method,
    identification_jobs,
    service_job,
    step_down,
)
from .session_types import (
    CommandCompleted,
    ExceptionReported,
    MachineIdentified,
    MachineProfile,
    MetersRead,
    ReadMeters,
    SessionConfig,
    SessionEvent,
)

ROM_SIGNATURE = 0x21
REAL_TIME_EVENTS = 0x0E


class Link(Enum):
    UNKNOWN = "unknown"  # not heard from since start
    UP = "up"
    DOWN = "down"


@dataclass(slots=True)
class MachineState:
    """Everything the session knows and intends about one address."""

    address: int
    link: Link = Link.UNKNOWN
    profile: MachineProfile = field(init=False)
    stats: LinkStats = field(init=False)
    priority: deque[Job] = field(default_factory=deque)
    jobs: deque[Job] = field(default_factory=deque)
    sweep: MeterSweep | None = None
    next_poll_at: float = -math.inf
    next_meter_at: float | None = None
    meter_reason: str = "periodic"
    meter_tags: list[str] = field(default_factory=list)
    """Tags of ``ReadMeters`` commands the next completed sweep answers."""
    rebase_pending: bool = False
    identifying: bool = False
    signature_pending: bool = False
    rte: bool | None = None
    extended_alternate: bool = False
    last_was_general: bool = False
    silent_since: float | None = None

    def __post_init__(self) -> None:
        self.profile = MachineProfile(address=self.address)
        self.stats = LinkStats(address=self.address)

    # --- choosing the next poll ---------------------------------------------------

    def next_job(self, now: float, config: SessionConfig) -> Job | None:
        """The long poll to send next, or ``None`` for a general poll."""
        if self.link is not Link.UP:
            return None
        if self.priority:
            return self.priority[0]
        if not self.last_was_general:
            return None  # a general poll after every long poll keeps exceptions flowing
        if self.jobs:
            return self.jobs[0]
        if self.sweep is None and self._meters_due(now):
            self.sweep = self._plan_sweep(config)
        if self.sweep is not None and self.sweep.polls:
            return Job(request=self.sweep.polls[0], purpose=Purpose.METERS)
        return None

    def expectation(self, job: Job | None) -> ExpectGeneralPoll | ExpectLongPoll:
        """What the reply to ``job`` (``None``: a general poll) may look like."""
        rte = self.rte is not False  # unknown counts as possibly on
        if job is None:
            return ExpectGeneralPoll(
                address=self.address, rte=rte, signature=self.signature_pending
            )
        return ExpectLongPoll(address=self.address, command=job.request.command, rte=rte)

    def take(self, job: Job) -> None:
        """``job`` is being sent: remove it from its queue."""
        if job.purpose is Purpose.METERS:
            assert self.sweep is not None
            self.sweep.polls.popleft()
        elif self.priority and self.priority[0] is job:
            self.priority.popleft()
        else:
            self.jobs.remove(job)

    def requeue(self, job: Job) -> None:
        """Send ``job`` again first (its poll was answered by an RTE event)."""
        if job.purpose is Purpose.METERS and self.sweep is not None:
            self.sweep.polls.appendleft(job.request)
        elif job.purpose is Purpose.SERVICE:
            self.priority.appendleft(job)
        else:
            self.jobs.appendleft(job)

    def submit(self, request: LongPollRequest | ReadMeters, tag: str) -> CommandCompleted | None:
        """Queue a command; returns its failure at once when the machine is not up."""
        if self.link is not Link.UP:
            return CommandCompleted(
                address=self.address, tag=tag, request=request, ok=False, reason="machine offline"
            )
        if isinstance(request, ReadMeters):
            self.meter_tags.append(tag)
            self.schedule_meters(-math.inf, "request")
        else:
            self.jobs.append(Job(request=request, purpose=Purpose.COMMAND, tag=tag))
        return None

    def _meter_commands(self, *, ok: bool, reason: str = "") -> list[SessionEvent]:
        """The outcomes of the ``ReadMeters`` commands waiting for this sweep."""
        tags, self.meter_tags = self.meter_tags, []
        return [
            CommandCompleted(
                address=self.address, tag=tag, request=ReadMeters(), ok=ok, reason=reason
            )
            for tag in tags
        ]

    def schedule_meters(self, at: float, reason: str) -> None:
        self.meter_reason = reason
        if self.next_meter_at is None or at < self.next_meter_at:
            self.next_meter_at = at

    def _meters_due(self, now: float) -> bool:
        return not self.identifying and self.next_meter_at is not None and now >= self.next_meter_at

    def _plan_sweep(self, config: SessionConfig) -> MeterSweep:
        method = (
            config.meter_method or self.profile.meter_method or choose_meter_method(self.profile)
        )
        sweep = MeterSweep.plan(
            self.address,
            self.profile,
            config.meter_codes,
            method=method,
            reason=self.meter_reason,
            rebase=self.rebase_pending,
            alternate_first=self.extended_alternate,
        )
        if len(sweep.polls) % 2:
            self.extended_alternate = not self.extended_alternate
        return sweep

    # --- what happened on the wire ------------------------------------------------

    def sent(self, now: float, *, general: bool, config: SessionConfig) -> None:
        stats = self.stats
        stats.polls += 1
        if stats.last_poll_at is not None and self.link is Link.UP:
            stats.recent_intervals.append(now - stats.last_poll_at)
        stats.last_poll_at = now
        self.last_was_general = general
        up = self.link is Link.UP
        self.next_poll_at = now + (config.poll_interval if up else config.offline_probe_interval)
        if self.silent_since is None and not up:
            self.silent_since = now

    def retry_after(self, sent_at: float, config: SessionConfig) -> None:
        """The identical poll goes again one poll interval after the last (also when not up)."""
        self.next_poll_at = min(self.next_poll_at, sent_at + config.poll_interval)

    def reply_ok(self, now: float, config: SessionConfig) -> bool:
        """A valid reply arrived; True when it brings the link up."""
        stats = self.stats
        stats.replies += 1
        if stats.last_poll_at is not None:
            stats.recent_latencies.append(now - stats.last_poll_at)
        stats.last_reply_at = now
        stats.consecutive_failures = 0
        self.silent_since = None
        if self.link is Link.UP:
            return False
        self.link = Link.UP
        stats.online = True
        self.next_poll_at = now + config.poll_interval
        self.profile = MachineProfile(address=self.address)
        self._identify(config)
        return True

    def _identify(self, config: SessionConfig) -> None:
        self.identifying = True
        self.jobs.extendleft(reversed(identification_jobs(self.address, config.real_time_events)))

    def count_failure(self, result: Fault | NackFrame | BusyFrame) -> None:
        stats = self.stats
        stats.consecutive_failures += 1
        if isinstance(result, NackFrame):
            stats.nacks += 1
        elif isinstance(result, BusyFrame):
            stats.busy += 1
        elif result.kind is FaultKind.NO_REPLY:
            stats.timeouts += 1
        else:
            if result.kind is FaultKind.BAD_CRC:
                stats.crc_errors += 1
            stats.count_fault(result.kind.value)

    def silent_too_long(self, now: float, config: SessionConfig) -> bool:
        """Too many failed polls, or too long since the last valid reply (or first poll)."""
        if self.stats.consecutive_failures >= config.offline_after_failures:
            return True
        since = self.stats.last_reply_at if self.link is Link.UP else self.silent_since
        return since is not None and now - since >= config.offline_after_silence

    def go_down(self, now: float, config: SessionConfig) -> list[SessionEvent]:
        """The link is lost: drop what was planned, fail pending commands."""
        events: list[SessionEvent] = [
            CommandCompleted(
                address=self.address, tag=job.tag, request=job.request, ok=False, reason="link down"
            )
            for job in self.jobs
            if job.purpose is Purpose.COMMAND
        ]
        events += self._meter_commands(ok=False, reason="link down")
        self.link = Link.DOWN
        self.stats.online = False
        self.priority.clear()
        self.jobs.clear()
        self.sweep = None
        self.identifying = False
        self.signature_pending = False
        self.rte = None
        self.next_meter_at = None
        self.next_poll_at = now + config.offline_probe_interval
        return events

    def exception_reported(
        self, code: int, event: RteEvent | None, *, gate: int, config: SessionConfig
    ) -> ExceptionReported:
        """Queue what exception ``code`` calls for; returns the event to report."""
        self.stats.reports += 1
        has_rte_data = event is not None and event.data is not None
        job = service_job(self.address, code, has_rte_data=has_rte_data)
        if job is not None:
            self.priority.append(job)
        if code in REIDENTIFY_CODES and not self.identifying:
            self._identify(config)
        if code in REBASE_CODES:
            self.rebase_pending = True
            self.schedule_meters(-math.inf, "rebase")
        elif code in RECONCILE_CODES:
            self.schedule_meters(-math.inf, "reconcile")
        elif code in METER_REREAD_CODES:
            self.schedule_meters(-math.inf, "power")
        return ExceptionReported(
            address=self.address, code=code, info=lookup(code), event=event, gate=gate
        )

    def job_done(
        self, job: Job, message: Message | None, now: float, config: SessionConfig
    ) -> list[SessionEvent]:
        """A long poll got its reply (``message`` is None for an ACK)."""
        if job.purpose is Purpose.IDENTIFY:
            self._learn(job, message)
            return self._identification_progress(now, config)
        if job.purpose is Purpose.METERS:
            assert self.sweep is not None
            if message is None or not self.sweep.absorb(message):
                return self._meter_method_failed(now, config)
            return self._sweep_progress(now, config)
        if job.purpose is Purpose.COMMAND:
            self._learn(job, message)
            return [
                CommandCompleted(
                    address=self.address, tag=job.tag, request=job.request, ok=True, message=message
                )
            ]
        return []

    def job_failed(self, job: Job, now: float, config: SessionConfig) -> list[SessionEvent]:
        """A long poll failed after every retry."""
        if job.purpose is Purpose.IDENTIFY:
            return self._identification_progress(now, config)
        if job.purpose is Purpose.METERS and self.sweep is not None:
            return self._meter_method_failed(now, config)
        if job.purpose is Purpose.COMMAND:
            return [
                CommandCompleted(
                    address=self.address,
                    tag=job.tag,
                    request=job.request,
                    ok=False,
                    reason="no reply",
                )
            ]
        return []

    def _learn(self, job: Job, message: Message | None) -> None:
        command = job.request.command
        if command == REAL_TIME_EVENTS and message is None:
            self.rte = job.request.data[:1] == b"\x01"
        elif command == ROM_SIGNATURE and message is None:
            self.signature_pending = True
        elif isinstance(message, VersionSerial):
            self.profile.version = message
        elif isinstance(message, GameConfiguration):
            self.profile.configuration = message
        elif isinstance(message, Features):
            self.profile.features = message
        elif isinstance(message, GameCount):
            self.profile.game_count = message.count
        elif isinstance(message, EnabledGames):
            self.profile.enabled_games = message.games

    def _identification_progress(self, now: float, config: SessionConfig) -> list[SessionEvent]:
        if any(job.purpose is Purpose.IDENTIFY for job in self.jobs):
            return []
        self.identifying = False
        method = config.meter_method or choose_meter_method(self.profile)
        self.profile.meter_method = method
        self.sweep = None
        self.schedule_meters(now, "baseline" if self.next_meter_at is None else self.meter_reason)
        return [MachineIdentified(address=self.address, profile=self.profile)]

    def _sweep_progress(self, now: float, config: SessionConfig) -> list[SessionEvent]:
        sweep = self.sweep
        assert sweep is not None
        if sweep.polls:
            return []
        if not sweep.meters:
            return self._meter_method_failed(now, config)
        self.sweep = None
        self.rebase_pending = self.rebase_pending and not sweep.rebase
        self.next_meter_at = now + config.meter_interval
        self.meter_reason = "periodic"
        read = MetersRead(
            address=self.address,
            meters=dict(sweep.meters),
            reason=sweep.reason,
            rebase=sweep.rebase,
            method=sweep.method,
        )
        return [read, *self._meter_commands(ok=True)]

    def _meter_method_failed(self, now: float, config: SessionConfig) -> list[SessionEvent]:
        sweep = self.sweep
        assert sweep is not None
        lower = None if config.meter_method else step_down(sweep.method)
        self.sweep = None
        if lower is None:
            self.next_meter_at = now + config.meter_interval
            return self._meter_commands(ok=False, reason="the machine did not answer its meters")
        self.profile.meter_method = lower
        self.meter_reason = sweep.reason
        self.next_meter_at = now
        return []
