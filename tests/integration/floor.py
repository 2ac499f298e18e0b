"""A simulated floor and an agent on it, in one event loop, for end-to-end tests.

The simulator runs in-process on real ptys; the agent opens them through
pyserial like any serial port; the store is a real SQLite file.
``compare_with_ledger`` checks what the store holds against the ledger.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.config import AgentConfig, config_for_demo, dump_toml
from agent.notify import Notifier
from agent.runtime import Agent
from agent.service import serve
from agent.store import Store
from agent.store.reader import Reader
from simulator.ledger import read_ledger
from simulator.ledger_compare import ComparisonReport, compare, upstream_from_json
from simulator.runner import Simulator, SimulatorOptions
from simulator.scenario import parse_scenario


@dataclass
class Floor:
    simulator: Simulator
    config: AgentConfig
    agent: Agent
    directory: Path

    @property
    def ledger(self) -> Path:
        return self.directory / "ledger.jsonl"


Configure = Callable[[AgentConfig], AgentConfig]


def with_http(**http: Any) -> Configure:
    """A ``configure`` for ``running``: these ``[http]`` keys on top, validated like a file.

    ``running`` already listens on a free port of 127.0.0.1 (``agent.http_url``).
    """

    def configure(config: AgentConfig) -> AgentConfig:
        data = config.model_dump(mode="python")
        data["http"] = {**data["http"], **http}
        return AgentConfig.model_validate(data, context={"source": "<test>"})

    return configure


async def start_simulator(
    directory: Path, machines: int, scenario: str, configure: Configure | None = None
) -> tuple[Simulator, AgentConfig]:
    simulator = Simulator(
        SimulatorOptions(
            machines=machines,
            directory=directory / "ports",
            scenario=parse_scenario(scenario),
            ledger=directory / "ledger.jsonl",
        )
    )
    await simulator.start()
    ports = [
        (link.port, [(egm.address, egm.machine_id) for egm in link.line.machines])
        for link in simulator.links
    ]
    config = config_for_demo(ports, directory / "data")
    # any free port: tests never fight over 8080 (a demo may be running)
    config = config.model_copy(
        update={"http": config.http.model_copy(update={"listen": "127.0.0.1:0"})}
    )
    if configure is not None:
        config = configure(config)
    (directory / "floor-agent.toml").write_text(dump_toml(config))
    return simulator, config


@asynccontextmanager
async def running(
    directory: Path,
    machines: int,
    scenario: str,
    *,
    store: Store | None = None,
    configure: Configure | None = None,
    notifier: Notifier | None = None,
) -> AsyncIterator[Floor]:
    """Start the simulator and the agent; stop the agent, then the simulator, on exit."""
    simulator, config = await start_simulator(directory, machines, scenario, configure)
    stop_sim, stop_agent = asyncio.Event(), asyncio.Event()
    agents: list[Agent] = []
    sim_task = asyncio.create_task(simulator.run(stop_sim))
    agent_task = asyncio.create_task(
        serve(config, stop_agent, on_ready=agents.append, store=store, notifier=notifier)
    )
    try:
        while not agents:
            await asyncio.sleep(0.01)
            if agent_task.done():
                agent_task.result()
        yield Floor(simulator=simulator, config=config, agent=agents[0], directory=directory)
    finally:
        stop_agent.set()
        await agent_task
        stop_sim.set()
        await sim_task
        simulator.close()


def stored_envelopes(store_path: Path) -> list[dict[str, object]]:
    reader = Reader(store_path, busy_timeout_ms=5000, keep=1)
    try:
        out: list[dict[str, object]] = []
        after = 0
        while True:
            page = reader.read(after_seq=after, limit=1000)
            out += [stored.envelope() for stored in page]
            if len(page) < 1000:
                return out
            after = page[-1].seq
    finally:
        reader.close()


def compare_with_ledger(ledger: Path, store_path: Path) -> ComparisonReport:
    return compare(read_ledger(ledger), upstream_from_json(stored_envelopes(store_path)))
