"""The store's own alarms, recorded as ordinary events on the ``system`` channel.

Alarms are events, not a table: they then travel through the same outbox,
in order with the machines' events, to every sink, the REST look-back and
the live tail, with the same durability and the same ids. The *current*
condition (is the store full, did the last commit fail) is live state on
the ``Store`` (``healthy``, ``full``, ``last_error``) for the status page.

An alarm names the agent as its machine and ``store`` as its line, and
``protocol`` is ``agent``:

* ``storeCorrupted`` - first event of a fresh store after the previous file
  was moved aside; data: ``moved_to``, ``reason``.
* ``storeFull`` - appends are being refused; data: ``reason``, ``policy``,
  ``size_bytes``, ``max_bytes``. Its timestamp is when refusing began, even
  when it could only be written later (see ``writer``).
* ``storeRecovered`` - appends are accepted again; data: ``full_since``,
  ``refused_batches``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.events.envelope import Channel, Event, format_time, parse_time

STORE_CORRUPTED = "storeCorrupted"
STORE_FULL = "storeFull"
STORE_RECOVERED = "storeRecovered"
ALARM_LINE = "store"
ALARM_PROTOCOL = "agent"


def alarm(name: str, *, agent_id: str, at: datetime, data: Mapping[str, Any]) -> Event:
    """An alarm event raised by the store itself."""
    return Event(
        event=name,
        channel=Channel.SYSTEM,
        timestamp=at,
        machine=agent_id,
        line=ALARM_LINE,
        protocol=ALARM_PROTOCOL,
        data=dict(data),
        raw={"protocol": ALARM_PROTOCOL},
    )


@dataclass(frozen=True, slots=True)
class FullEpisode:
    """Appends have been refused since ``since`` (one storeFull ... storeRecovered pair)."""

    since: datetime
    reason: str
    cause: str  # "bound" (max_size_mb) | "disk" (SQLite reported the disk full)
    size: int
    recorded: bool  # the storeFull row is committed
    refused: int = 0


def full_alarm(episode: FullEpisode, *, agent_id: str, policy: str, max_bytes: int | None) -> Event:
    """``storeFull``, stamped with the time refusing began."""
    data = {
        "reason": episode.reason,
        "cause": episode.cause,
        "policy": policy,
        "size_bytes": episode.size,
        "max_bytes": max_bytes,
    }
    return alarm(STORE_FULL, agent_id=agent_id, at=episode.since, data=data)


def recovered_alarm(episode: FullEpisode, *, agent_id: str, at: datetime) -> Event:
    """``storeRecovered``: appends are accepted again."""
    data = {"full_since": format_time(episode.since), "refused_batches": episode.refused}
    return alarm(STORE_RECOVERED, agent_id=agent_id, at=at, data=data)


def full_at_open(conn: sqlite3.Connection, agent_id: str) -> FullEpisode | None:
    """A storeFull without a later storeRecovered: the agent stopped while full.

    The episode goes on (already recorded) so that the first accepted append
    records the matching storeRecovered. Uses the (machine, seq) index over
    the agent's own rows only.
    """
    row = conn.execute(
        "SELECT event, timestamp FROM events WHERE machine = ? AND line = ?"
        " AND event IN (?, ?) ORDER BY seq DESC LIMIT 1",
        (agent_id, ALARM_LINE, STORE_FULL, STORE_RECOVERED),
    ).fetchone()
    if row is None or row[0] != STORE_FULL:
        return None
    return FullEpisode(parse_time(row[1]), "full before restart", "bound", 0, recorded=True)
