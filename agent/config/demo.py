"""``config_for_demo``: a valid configuration built in memory for ``floor-agent demo``.

One SAS line per port (named ``line-1``, ``line-2``, ...) with the given
(address, machine id) pairs, wake-up off (the simulator's ptys and sockets
cannot carry a parity bit, and frame by content and timing), everything else
at its default; the store lives in ``data_dir``. It goes through the same
validation as a file, so a bad address or a duplicate id is a ``ConfigError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .schema import AgentConfig

DEMO_AGENT_ID = "demo"


def config_for_demo(
    ports: Sequence[tuple[str, Sequence[tuple[int, str]]]], data_dir: str | Path
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
    data = {"agent": {"id": DEMO_AGENT_ID, "data_dir": str(data_dir)}, "lines": lines}
    return AgentConfig.model_validate(data, context={"source": "<demo config>"})
