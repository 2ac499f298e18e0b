"""``config_for_demo``: a valid configuration built in memory for ``floor-agent demo``.

One SAS line per port (named ``line-1``, ``line-2``, ...) with the given
(address, machine id) pairs, wake-up off (the simulator's ptys and sockets
cannot carry a parity bit, and frame by content and timing), everything else
at its default; the store lives in ``data_dir``. With ``amqp_url`` it also
publishes there, with one demo queue bound to everything and bounded to the
last ``DEMO_QUEUE_LENGTH`` messages (nobody may be consuming it). It goes
through the same validation as a file, so a bad address, a duplicate id or
a bad URL is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ConfigError
from .load import problems_of
from .schema import AgentConfig

DEMO_AGENT_ID = "demo"
DEMO_QUEUE = "floor-demo"
DEMO_QUEUE_LENGTH = 100_000


def config_for_demo(
    ports: Sequence[tuple[str, Sequence[tuple[int, str]]]],
    data_dir: str | Path,
    *,
    amqp_url: str | None = None,
    listen: str | None = None,
) -> AgentConfig:
    lines = [
        {
            "name": f"line-{n}",
            "port": port,
            "protocol": "sas",
            "wakeup": "none",
            "machines": [{"address": address, "id": id_} for address, id_ in machines],
        }
        for n, (port, machines) in enumerate(ports, start=1)
    ]
    data: dict[str, Any] = {
        "agent": {"id": DEMO_AGENT_ID, "data_dir": str(data_dir)},
        "lines": lines,
    }
    if listen is not None:
        data["http"] = {"listen": listen}
    if amqp_url is not None:
        queue = {
            "name": DEMO_QUEUE,
            "bindings": ["#"],
            "arguments": {"x-max-length": DEMO_QUEUE_LENGTH},
        }
        data["upstream"] = {"amqp": {"url": amqp_url, "queues": [queue]}}
    source = "<demo config>"
    try:
        return AgentConfig.model_validate(data, context={"source": source})
    except ValidationError as exc:
        raise ConfigError(source, problems_of(exc)) from None
