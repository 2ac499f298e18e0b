"""What the host session polls, and why: jobs, exception servicing, meter sweeps.

The session (``session.py``) decides *when* to send; this module decides
*what*: the identification sequence, the long poll that services each
priority exception (reference §3.5-3.10, §7.9), and how a meter sweep is
split into polls for the method the machine supports, stepping down
6F/AF -> 2F -> 1C/1A/10 when a method fails (reference §5, "Stepdown").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from . import requests
from .commands import LongPoll
from .frames import PollFrame
from .messages import ExtendedMeters, Message, MultiMeters, SelectedMeters, SingleMeter
from .requests import LongPollRequest
from .session_types import MachineProfile, MeterMethod


class Purpose(Enum):
    IDENTIFY = "identify"
    METERS = "meters"
    SERVICE = "service"
    COMMAND = "command"


@dataclass(slots=True, kw_only=True)
class Job:
    """One long poll the session intends to send to one machine."""

    request: LongPollRequest
    purpose: Purpose
    trigger: int | None = None  # the exception code a service poll answers
    tag: str = ""  # caller's tag for a command
    gated: bool = False  # the reply is machine data acknowledged by the next poll


def implies_nack(previous: PollFrame, frame: PollFrame) -> bool:
    """True when ``frame`` right after ``previous`` reads as a repeat (reference §1.8).

    A general poll repeats when it is the same byte; a long poll when it has
    the same address and command, whatever its data.
    """
    if len(frame.data) == 1 or len(previous.data) == 1:
        return frame.data == previous.data
    return frame.data[:2] == previous.data[:2]


def _read(command: int) -> Callable[[int], LongPollRequest]:
    return lambda address: requests.read(address, command)


SERVICE_POLLS: dict[int, Callable[[int], LongPollRequest]] = {
    0x51: _read(LongPoll.HANDPAY_INFO),
    0x3D: requests.validation_info,
    0x3E: requests.validation_info,
    0x57: _read(LongPoll.CASHOUT_TICKET),
    0x67: _read(LongPoll.TICKET_DATA),
    **{code: _read(LongPoll.LAST_BILL) for code in (*range(0x47, 0x50), 0x50)},
}
"""Exception code -> the long poll that services it (and acknowledges it)."""

REIDENTIFY_CODES = frozenset({0x3C, 0xA2})
REBASE_CODES = frozenset({0x7A, 0x3A, 0x31, 0x32, 0x33, 0x34, 0x35})
RECONCILE_CODES = frozenset({0x70})
METER_REREAD_CODES = frozenset({0x17})


def service_job(address: int, code: int, *, has_rte_data: bool) -> Job | None:
    """The long poll that services exception ``code``, if it needs one."""
    if code == 0x4F and has_rte_data:
        return None  # in RTE mode the event already carries the bill
    build = SERVICE_POLLS.get(code)
    if build is None:
        return None
    return Job(request=build(address), purpose=Purpose.SERVICE, trigger=code, gated=True)


def identification_jobs(address: int, real_time_events: bool | None) -> list[Job]:
    """54, 1F, A0, 51, 56 and (by policy) 0E, in this order (reference §7, start-up)."""
    reads = [LongPoll.VERSION_SERIAL, LongPoll.GAME_CONFIGURATION]
    jobs = [Job(request=requests.read(address, c), purpose=Purpose.IDENTIFY) for c in reads]
    jobs.append(
        Job(
            request=requests.for_game(address, LongPoll.FEATURES, 0),
            purpose=Purpose.IDENTIFY,
        )
    )
    for command in (LongPoll.GAME_COUNT, LongPoll.ENABLED_GAMES):
        jobs.append(Job(request=requests.read(address, command), purpose=Purpose.IDENTIFY))
    if real_time_events is not None:
        request = requests.real_time_events(address, enabled=real_time_events)
        jobs.append(Job(request=request, purpose=Purpose.IDENTIFY))
    return jobs


def choose_meter_method(profile: MachineProfile) -> MeterMethod:
    """The best method the machine claims to support (reference §3.3, §5)."""
    major = profile.version.major if profile.version else 0
    features = profile.features
    if major >= 6 and features is not None and features.extended_meters:
        return MeterMethod.EXTENDED
    if major >= 5:
        return MeterMethod.SELECTED
    return MeterMethod.LEGACY


def step_down(method: MeterMethod) -> MeterMethod | None:
    order = [MeterMethod.EXTENDED, MeterMethod.SELECTED, MeterMethod.LEGACY]
    index = order.index(method)
    return order[index + 1] if index + 1 < len(order) else None


LEGACY_COMMANDS = (LongPoll.METERS_1C, LongPoll.CURRENT_CREDITS, LongPoll.CANCELLED_CREDITS)
SAS5_MAX_2F_CODE = 0x28


def _chunks(codes: Sequence[int], size: int) -> list[list[int]]:
    return [list(codes[i : i + size]) for i in range(0, len(codes), size)]


@dataclass(slots=True, kw_only=True)
class MeterSweep:
    """The polls of one meter read and what they returned so far."""

    method: MeterMethod
    reason: str
    rebase: bool
    polls: deque[LongPollRequest]
    meters: dict[int, int] = field(default_factory=dict)

    @classmethod
    def plan(
        cls,
        address: int,
        profile: MachineProfile,
        codes: Sequence[int],
        *,
        method: MeterMethod,
        reason: str,
        rebase: bool,
        alternate_first: bool = False,
    ) -> MeterSweep:
        polls: deque[LongPollRequest] = deque()
        if method is MeterMethod.EXTENDED:
            alternate = alternate_first
            for chunk in _chunks(codes, 12):
                polls.append(requests.extended_meters(address, 0, chunk, alternate=alternate))
                alternate = not alternate
        elif method is MeterMethod.SELECTED:
            major = profile.version.major if profile.version else 0
            usable = [c for c in codes if c <= 0xFF and (major >= 6 or c <= SAS5_MAX_2F_CODE)]
            for chunk in _chunks(usable, 10):
                polls.append(requests.selected_meters(address, 0, chunk))
        else:
            polls.extend(requests.read(address, command) for command in LEGACY_COMMANDS)
        return cls(method=method, reason=reason, rebase=rebase, polls=polls)

    def absorb(self, message: Message) -> bool:
        """Record a reply; False when it gives nothing usable (the method is not supported)."""
        if isinstance(message, ExtendedMeters):
            values = message.as_dict()
            self.meters.update(values)
            return bool(values)
        if isinstance(message, SelectedMeters | MultiMeters):
            self.meters.update(message.as_dict())
            return True
        if isinstance(message, SingleMeter) and message.meter_code is not None:
            self.meters[message.meter_code] = message.value
            return True
        return False
