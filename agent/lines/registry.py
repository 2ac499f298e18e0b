"""Which adapter serves which ``protocol``, and what this build cannot run yet.

``build_adapter(line, settings)`` picks the adapter of ``line.protocol``;
``unsupported(config)`` lists, as configuration problems, the lines whose
protocol has a configuration model but no adapter in this build (the
service refuses them with exit 78 rather than starting a floor it cannot
poll). Adding a protocol means one folder under ``agent/lines`` and one
entry in ``ADAPTERS`` (and its model in the ``Line`` union of the config).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.config.errors import Problem
from agent.config.schema import AgentConfig, AgentSettings, Line

from .adapter import LineAdapter
from .sas.adapter import SasAdapter

ADAPTERS: dict[str, Callable[[Any, AgentSettings], LineAdapter]] = {
    "sas": SasAdapter.from_config,
}


def build_adapter(line: Line, settings: AgentSettings) -> LineAdapter:
    """The adapter for ``line``; a protocol without one is refused earlier (``unsupported``)."""
    return ADAPTERS[line.protocol](line, settings)


def unsupported(config: AgentConfig) -> list[Problem]:
    return [
        Problem(
            key=f"lines[{n}].protocol",
            reason=f"{line.protocol.upper()} lines are not supported by this build yet",
        )
        for n, line in enumerate(config.lines)
        if line.protocol not in ADAPTERS
    ]
