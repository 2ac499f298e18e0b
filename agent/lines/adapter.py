"""The agent's side of the line seam: what the poller needs from each protocol's adapter.

The poller (``agent.poller``) is protocol-neutral. For one line it holds a
``LineAdapter``, which owns everything protocol-specific
(docs/architecture.md, "The seam"):

* ``spec`` - the line as the transport and the status page see it: name,
  port, baud, whether the wake-up bit is sent, the machines;
* ``new_session()`` - a fresh sans-I/O host session (``protocols.line``)
  built from the line's configuration; a new one after every port loss;
* ``translate(event)`` - one session event to the canonical events it stands
  for, plus the resume points to store with them;
* ``command(address, action)`` - a canonical action encoded as the
  protocol's own request (``ActionNotSupported`` if it has none);
* ``resume(points)`` - what the store kept for each machine at the last
  run, given back once before the first poll.

Resume points are the adapter's own per-machine strings (SAS: the code of
the last exception stored; GAPI: the last event seq stored). The store
commits them in the same transaction as the events they came with and never
reads them; after a restart they let an adapter recognise a report the
machine repeats because it never saw the acknowledgement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agent.events.envelope import Event
from protocols.line import LineEvent, LineSession

from .actions import Action


@dataclass(frozen=True, slots=True, kw_only=True)
class LineSpec:
    """What a poller, its transport and the status page know about a line."""

    name: str
    port: str
    protocol: str
    baud: int
    wakeup: bool
    """Send the first byte of each message with the wake-up bit (mark parity)."""
    machines: Sequence[tuple[int, str, int | None]]
    """(address, machine id, denomination override in cents) of each machine."""


@dataclass(frozen=True, slots=True)
class Translation:
    """The canonical events one session event stands for, and resume points to store."""

    events: Sequence[Event] = ()
    resume: Mapping[str, str] = field(default_factory=dict)
    """Machine id -> the adapter's resume point, committed with ``events``."""


NOTHING = Translation()


class ActionNotSupported(Exception):  # noqa: N818 - a refusal, not an error of ours
    """The line's protocol has no command for this action."""


class LineAdapter(Protocol):
    """One protocol's adapter for one line; see the module doc."""

    @property
    def spec(self) -> LineSpec: ...

    def new_session(self) -> LineSession: ...

    def translate(self, event: LineEvent) -> Translation: ...

    def command(self, address: int, action: Action) -> object: ...

    def resume(self, points: Mapping[str, str]) -> None: ...
