"""``floor-agent demo``: simulated machines and the agent polling them, in one process.

With no arguments: four machines of the ``busy_friday`` scenario, each on its
own pty, a configuration generated for them, the store in a temporary data
dir, and a live one-line summary every second until Ctrl-C. The simulator
is imported when the demo runs, never when this module loads (the daemon's
path must not load the test tool).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from .config import DEMO_QUEUE, DEMO_QUEUE_LENGTH, ConfigError, config_for_demo, dump_toml
from .runtime import Agent
from .service import serve

SUMMARY_SECONDS = 1.0


def add_parser(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="simulator + agent on a temporary floor",
        description="Run simulated machines and the agent polling them, with a live summary.",
    )
    demo.add_argument("--machines", type=int, default=4)
    demo.add_argument("--scenario", default="busy_friday", help="a built-in name or a TOML file")
    demo.add_argument("--seconds", type=float, help="stop after this long (default: Ctrl-C)")
    demo.add_argument("--dir", type=Path, help="keep the data here instead of a temporary dir")
    demo.add_argument(
        "--listen",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="where the status page listens (default 127.0.0.1:8080; port 0: any free port)",
    )
    demo.add_argument(
        "--amqp",
        metavar="URL",
        help="also publish to this RabbitMQ (e.g. amqp://guest:guest@127.0.0.1:5672/): "
        f"exchange floor.events, queue {DEMO_QUEUE!r} bound to '#' (kept to the last "
        f"{DEMO_QUEUE_LENGTH} messages)",
    )
    demo.set_defaults(run=demo_command)


def summary(agent: Agent) -> str:
    online = polls = faults = 0
    machines = 0
    for poller in agent.pollers:
        for stats in poller.stats().values():
            machines += 1
            online += stats.online
            polls += stats.polls
            faults += stats.faults + stats.timeouts
    stored = agent.store.last_seq()
    depth = agent.store.depth().count
    line = (
        f"online {online}/{machines}  events stored {stored}  buffer {depth}  "
        f"polls {polls}  faults {faults}"
    )
    for sink in agent.sinks:
        snap = sink.snapshot()
        state = "blocked" if snap.blocked else "up" if snap.connected else "DOWN"
        line += f"  {snap.name} {state} lag {snap.lag_events}"
    return line


async def run_demo(
    machines: int,
    scenario: str,
    seconds: float | None,
    directory: Path | None,
    *,
    amqp: str | None = None,
    listen: str = "127.0.0.1:8080",
) -> int:
    # the test tool loads only when the demo runs (module doc)
    from simulator.cli import scenario_from  # noqa: PLC0415
    from simulator.runner import Simulator, SimulatorOptions  # noqa: PLC0415

    with contextlib.ExitStack() as stack:
        base = directory or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="floor-demo-"))
        )
        simulator = Simulator(
            SimulatorOptions(
                machines=machines,
                directory=base / "ports",
                scenario=scenario_from(scenario),
                ledger=base / "ledger.jsonl",
            )
        )
        simulator.scenario.check_machines(simulator.ids)
        await simulator.start()
        ports = [
            (link.port, [(egm.address, egm.machine_id) for egm in link.line.machines])
            for link in simulator.links
        ]
        config = config_for_demo(ports, base / "data", amqp_url=amqp, listen=listen)
        (base / "floor-agent.toml").write_text(dump_toml(config))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if seconds is not None:
            loop.call_later(seconds, stop.set)
        print(f"floor-agent demo: {machines} simulated machines, data in {base}", flush=True)
        print(f"  config {base / 'floor-agent.toml'}, ledger {base / 'ledger.jsonl'}", flush=True)
        agents: list[Agent] = []

        async def report() -> None:
            announced = False
            while not stop.is_set():
                if agents and agents[0].http_url and not announced:
                    print(f"\n  status page {agents[0].http_url}", flush=True)
                    announced = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), SUMMARY_SECONDS)
                if agents:
                    print("\r" + summary(agents[0]), end="", flush=True)

        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(simulator.run(stop))
                group.create_task(serve(config, stop, on_ready=agents.append))
                group.create_task(report())
        finally:
            simulator.close()
        print(f"\nstopped; the events are in {config.store_path}", flush=True)
    return 0


def demo_command(args: argparse.Namespace) -> int:
    from simulator.scenario import ScenarioError  # noqa: PLC0415 - see run_demo

    try:
        return asyncio.run(
            run_demo(
                args.machines,
                args.scenario,
                args.seconds,
                args.dir,
                amqp=args.amqp,
                listen=args.listen,
            )
        )
    except (ScenarioError, ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
