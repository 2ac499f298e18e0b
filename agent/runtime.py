"""``Agent``: what a running agent exposes to its HTTP side, the demo and the tests.

A plain record built by ``service.serve`` once the store is open and the
pollers and sinks exist; readers take what they need from it and never
mutate it (the pollers and sinks update their own state).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import AgentConfig
from .poller import Poller
from .sinks import Sink
from .store import Store


@dataclass(slots=True)
class Agent:
    config: AgentConfig
    store: Store
    pollers: list[Poller]
    sinks: list[Sink] = field(default_factory=list)
    http_url: str | None = None
    """Where the status page answers (set once the HTTP server listens)."""
