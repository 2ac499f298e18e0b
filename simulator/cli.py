"""``python -m simulator`` (also ``floor-agent simulate``): run a floor of machines.

Creates one stable path per port in DIR (symlinks to the ptys, or TCP
``socket://`` URLs), writes DIR/simulator.json, prints a live summary and
runs until interrupted (or for ``--duration`` seconds). Exit status 0 on a
clean stop, 2 for bad arguments or a bad scenario file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from .runner import Simulator, SimulatorOptions
from .sas import EgmConfig
from .scenario import Scenario, ScenarioError, builtin_scenario, list_builtin, load_scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--machines", type=int, required=True, help="how many machines")
    parser.add_argument("--protocol", choices=["sas"], default="sas")
    parser.add_argument("--link", choices=["pty", "tcp"], default="pty")
    parser.add_argument("--dir", type=Path, required=True, help="where the ports and manifest go")
    parser.add_argument(
        "--scenario",
        help=f"a TOML file, or a built-in name ({', '.join(list_builtin())})",
    )
    parser.add_argument("--ledger", type=Path, help="append-only JSON-lines ledger file")
    parser.add_argument(
        "--per-line", type=int, default=1, help="machines sharing one port (multi-drop)"
    )
    parser.add_argument("--port-base", type=int, default=0, help="first TCP port (0: any free)")
    parser.add_argument("--reply-delay-ms", type=float, default=3.0)
    parser.add_argument(
        "--wire-pace", action="store_true", help="add 0.573 ms per reply byte (19200 baud)"
    )
    parser.add_argument("--no-chirp", action="store_true", help="never chirp in loop break")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--summary-every", type=float, default=5.0, help="seconds; 0 = never")


def build_parser(prog: str = "python -m simulator") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Simulated slot machines on virtual serial ports."
    )
    add_arguments(parser)
    return parser


def scenario_from(value: str | None) -> Scenario | None:
    if value is None:
        return None
    if value in list_builtin():
        return load_scenario(builtin_scenario(value))
    return load_scenario(value)


def options_from(args: argparse.Namespace) -> SimulatorOptions:
    return SimulatorOptions(
        machines=args.machines,
        directory=args.dir,
        protocol=args.protocol,
        link=args.link,
        scenario=scenario_from(args.scenario),
        ledger=args.ledger,
        per_line=args.per_line,
        port_base=args.port_base,
        egm=EgmConfig(
            reply_delay=args.reply_delay_ms / 1000,
            wire_pace=args.wire_pace,
            chirp=not args.no_chirp,
        ),
    )


async def serve(options: SimulatorOptions, *, duration: float | None, summary_every: float) -> None:
    simulator = Simulator(options)
    await simulator.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if duration is not None:
        loop.call_later(duration, stop.set)
    print(
        f"simulating {options.machines} {options.protocol} machines on {len(simulator.links)} "
        f"{options.link} lines; manifest {options.directory / 'simulator.json'}",
        flush=True,
    )

    async def report() -> None:
        while summary_every > 0 and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), summary_every)
            print(simulator.summary().line(), flush=True)

    reporter = asyncio.create_task(report())
    try:
        await simulator.run(stop)
    finally:
        stop.set()
        await reporter
        simulator.close()
        print("stopped: " + simulator.summary().line(), flush=True)


def run(args: argparse.Namespace) -> int:
    try:
        options = options_from(args)
        simulator = Simulator(options)
        simulator.scenario.check_machines(simulator.ids)
    except (ScenarioError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve(options, duration=args.duration, summary_every=args.summary_every))
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "python -m simulator") -> int:
    """``python -m simulator``, and ``floor-agent simulate`` (with its own ``prog``)."""
    return run(build_parser(prog).parse_args(argv))
