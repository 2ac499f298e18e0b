"""The JSON shapes of the local HTTP API (pydantic response and request models).

These models are the API's contract (OpenAPI at ``/docs``): fields are only
ever added. Times are UTC ISO 8601; durations are seconds (``*_s``) or
milliseconds (``*_ms``) as their names say. Nothing here may carry a secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agent.sinks.status import SinkSnapshot


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MachineStatus(Model):
    id: str
    address: int
    line: str
    online: bool
    polls: int
    replies: int
    timeouts: int
    crc_errors: int
    nacks: int
    busy: int
    failed_polls: int
    exceptions: int
    poll_rate_hz: float | None = Field(description="polls per second over the recent intervals")
    poll_interval_p99_ms: float | None
    poll_latency_p99_ms: float | None = Field(
        description="from a poll sent to the machine's valid reply, recent polls"
    )
    last_reply_age_s: float | None = Field(description="seconds since the last valid reply")
    last_event: str | None
    last_event_at: datetime | None


class MachineDetail(MachineStatus):
    meters: dict[str, int] | None = Field(description="the last meter snapshot, canonical names")
    meters_at: datetime | None
    identity: dict[str, Any] | None = Field(description="data of the last machineIdentified")


class LineStatus(Model):
    name: str
    port: str
    connected: bool
    last_error: str
    reopen_count: int
    machines: list[str]
    notice: str = ""
    """A lasting condition of the line worth a technician's eye (no wake-up bit ...)."""


class StoreStatus(Model):
    last_seq: int
    undelivered: int
    oldest_undelivered_age_s: float | None
    healthy: bool
    full: bool
    last_error: str | None


class Status(Model):
    agent_id: str
    version: str
    now: datetime
    uptime_s: float
    lines: list[LineStatus]
    machines: list[MachineStatus]
    store: StoreStatus
    sinks: list[SinkSnapshot] = Field(description="each upstream sink (agent/sinks/status.py)")


class EventOut(Model):
    """The event envelope (docs/events.md), exactly as every upstream carries it."""

    id: str
    seq: int
    event: str
    channel: Literal["game", "cash", "entries", "system", "player"]
    timestamp: str
    machine: str
    line: str
    protocol: str
    machine_time: str | None
    replayed: bool
    possible_duplicate: bool
    data: dict[str, Any]
    meters: dict[str, int] | None
    raw: dict[str, Any]


class EventPage(Model):
    items: list[EventOut]
    next_after_seq: int | None = Field(
        description="pass as after_seq for the next page; null when this page is the last"
    )


class HistoryPoint(Model):
    at: datetime
    events_per_s: float
    buffer_depth: int
    poll_interval_p99_ms: float | None
    poll_latency_p99_ms: float | None


class History(Model):
    step_s: float
    points: list[HistoryPoint]


class Health(Model):
    status: Literal["ok", "failing"]
    reasons: list[str]


Action = Literal[
    "enableMachine",
    "disableMachine",
    "resetHandpay",
    "setTime",
    "readMeters",
    "setRealTimeEvents",
    "enable",
    "disable",
]
"""The canonical actions (agent/lines/actions.py), and ``enable`` / ``disable``, kept as
the short names of ``enableMachine`` / ``disableMachine``."""


class ActionRequest(Model):
    action: Action
    time: datetime | None = Field(
        default=None,
        description="for setTime: the time to set, with its time zone, years 2000-2099 "
        "(default: the agent's clock)",
    )
    enabled: bool | None = Field(
        default=None, description="for setRealTimeEvents: switch real-time events on or off"
    )

    @model_validator(mode="after")
    def _arguments(self) -> Self:
        if self.action == "setRealTimeEvents" and self.enabled is None:
            raise ValueError("setRealTimeEvents needs 'enabled': true or false")
        return self

    @field_validator("time")
    @classmethod
    def _plausible_time(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("give the time zone, e.g. 2026-11-22T10:00:00Z")
        if not 2000 <= value.year <= 2099:
            raise ValueError("a machine clock takes years 2000-2099")
        return value


class ActionResult(Model):
    machine: str
    action: Action
    ok: bool
    detail: str
