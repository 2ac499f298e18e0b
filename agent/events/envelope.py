"""The canonical event and its JSON envelope (docs/events.md).

An :class:`Event` is what a poller produces: a protocol-neutral fact, stamped
with the time the agent saw it. A :class:`StoredEvent` is the same event once
the store has committed it and given it a ``seq`` and an ``id``; its
:meth:`StoredEvent.envelope` is the one JSON shape every upstream and the REST
API carry::

    {"id": "floor-1:000000001234", "seq": 1234, "event": "billAccepted",
     "channel": "cash", "timestamp": "2026-11-22T10:15:03.120Z",
     "machine": "Slot-A12", "line": "bank-a", "protocol": "sas",
     "machine_time": null, "replayed": false, "possible_duplicate": false,
     "data": {...}, "meters": {...} | null, "raw": {"protocol": "sas", ...}}

Rules:

* times are UTC with millisecond precision, because that is what the
  envelope carries: an Event normalises ``timestamp`` and ``machine_time``
  on construction (naive datetimes are refused), so what a poller hands to
  the store is exactly what a reader gets back;
* ``id`` is ``f"{agent_id}:{seq:012d}"``; both are stable across restarts
  and retries, so consumers deduplicate by ``id``;
* ``replayed`` is a property of a delivery, not of the event: it is not
  stored, a sink passes it when it publishes from a backlog.

This module holds the data types only; the catalogue of event names lives
in ``agent.events.catalogue``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    """The five channels of the seed WebSocket API."""

    GAME = "game"
    CASH = "cash"
    ENTRIES = "entries"
    SYSTEM = "system"
    PLAYER = "player"


def to_utc_ms(value: datetime, name: str = "timestamp") -> datetime:
    """``value`` in UTC, truncated to whole milliseconds; naive datetimes are a bug."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
        value = value.astimezone(UTC)
    extra = value.microsecond % 1000
    return value.replace(microsecond=value.microsecond - extra) if extra else value


def format_time(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``: ``2026-11-22T10:15:03.120Z``."""
    if value.tzinfo is not UTC:  # an Event's times are UTC already: the common case
        value = to_utc_ms(value)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_time(text: str) -> datetime:
    """The inverse of :func:`format_time` (any ISO 8601 with an offset is accepted)."""
    return to_utc_ms(datetime.fromisoformat(text))


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """What a poller produces, before it is stored.

    ``event`` is a camelCase verb in the past tense (``billAccepted``);
    ``data``, ``meters`` and ``raw`` must be JSON-serialisable; ``raw`` keeps
    the way back to the wire (``{"protocol": "sas", "code": 17, ...}``).
    """

    event: str
    channel: Channel
    timestamp: datetime
    machine: str
    line: str
    protocol: str
    data: Mapping[str, Any]
    meters: Mapping[str, int] | None = None
    raw: Mapping[str, Any]
    machine_time: datetime | None = None
    possible_duplicate: bool = False

    def __post_init__(self) -> None:
        if not self.event:
            raise ValueError("event name must not be empty")
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "timestamp", to_utc_ms(self.timestamp))
        if self.machine_time is not None:
            object.__setattr__(self, "machine_time", to_utc_ms(self.machine_time, "machine_time"))


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    """An :class:`Event` with its store identity (``seq`` and ``id``)."""

    seq: int
    id: str
    event: Event

    def envelope(self, *, replayed: bool = False) -> dict[str, Any]:
        """The JSON envelope of docs/events.md, as a dict ready for ``json.dumps``."""
        ev = self.event
        return {
            "id": self.id,
            "seq": self.seq,
            "event": ev.event,
            "channel": ev.channel.value,
            "timestamp": format_time(ev.timestamp),
            "machine": ev.machine,
            "line": ev.line,
            "protocol": ev.protocol,
            "machine_time": None if ev.machine_time is None else format_time(ev.machine_time),
            "replayed": replayed,
            "possible_duplicate": ev.possible_duplicate,
            "data": dict(ev.data),
            "meters": None if ev.meters is None else dict(ev.meters),
            "raw": dict(ev.raw),
        }

    @classmethod
    def from_envelope(cls, envelope: Mapping[str, Any]) -> StoredEvent:
        """Rebuild a stored event from its envelope (``replayed`` is ignored)."""
        machine_time = envelope.get("machine_time")
        meters = envelope.get("meters")
        return cls(
            seq=int(envelope["seq"]),
            id=str(envelope["id"]),
            event=Event(
                event=envelope["event"],
                channel=Channel(envelope["channel"]),
                timestamp=parse_time(envelope["timestamp"]),
                machine=envelope["machine"],
                line=envelope["line"],
                protocol=envelope["protocol"],
                data=envelope.get("data") or {},
                meters=meters,
                raw=envelope.get("raw") or {},
                machine_time=None if machine_time is None else parse_time(machine_time),
                possible_duplicate=bool(envelope.get("possible_duplicate", False)),
            ),
        )


def event_id(agent_id: str, seq: int) -> str:
    """The stable id of the event stored at ``seq`` by agent ``agent_id``."""
    return f"{agent_id}:{seq:012d}"
