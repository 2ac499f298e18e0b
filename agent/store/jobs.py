"""What the event loop hands to the writer thread: a job and the future to resolve.

Jobs are created on the event loop; the writer resolves their futures only
through ``loop.call_soon_threadsafe`` (one callback per batch), never
directly, because asyncio futures are not thread-safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.events.envelope import Event, StoredEvent


@dataclass(slots=True, eq=False)
class AppendJob:
    events: Sequence[Event]
    future: asyncio.Future[list[StoredEvent]]
    resume: Mapping[str, str] = field(default_factory=dict)
    """Machine -> resume point, committed in the same transaction as ``events``."""


@dataclass(slots=True, eq=False)
class AdvanceJob:
    sink: str
    seq: int
    future: asyncio.Future[int]


@dataclass(slots=True, eq=False)
class CallJob:
    fn: Callable[[], Any]
    future: asyncio.Future[Any]


Job = AppendJob | AdvanceJob | CallJob
Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]
