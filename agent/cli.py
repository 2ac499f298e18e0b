"""The ``floor-agent`` command line.

Subcommands are added as the product grows; each lives in its own module and
registers here: ``run`` and ``events`` (run_cli), ``demo``, ``config check``,
``token new`` and ``sas-decode`` (explain a captured SAS reply). Two more
belong to the test tool and are loaded only when they run, so the daemon's
path never imports the simulator (docs/architecture.md, "The seams"):
``simulate`` (the machine simulator) and ``ledger compare`` (check what
arrived upstream against what the simulated machines reported).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import cast

from . import __version__
from .config_cli import add_parser as add_config
from .demo import add_parser as add_demo
from .lines.sas.decode_cli import add_parser as add_sas_decode
from .run_cli import add_parsers as add_run
from .token_cli import add_parser as add_token

SIMULATOR_COMMANDS = {
    "simulate": ("simulator.cli", "run simulated slot machines on virtual serial ports"),
    "ledger": ("simulator.ledger_cli", "check a simulator ledger against upstream events"),
}
"""Subcommand -> (the simulator module whose ``main`` runs it, its help line)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="floor-agent",
        description="Casino floor edge agent: polls slot machines over SAS/GAPI.",
    )
    parser.add_argument("--version", action="version", version=f"floor-agent {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_run(commands)
    add_demo(commands)
    add_config(commands)
    add_token(commands)
    add_sas_decode(commands)
    for name, (_, summary) in SIMULATOR_COMMANDS.items():
        commands.add_parser(name, help=summary, add_help=False)  # parsed by the simulator
    return parser


def run_simulator_command(name: str, argv: Sequence[str]) -> int:
    """Load the simulator's command line and hand it the arguments after ``name``."""
    module = importlib.import_module(SIMULATOR_COMMANDS[name][0])
    run = cast(Callable[..., int], module.main)
    return run(list(argv), prog=f"floor-agent {name}")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in SIMULATOR_COMMANDS:
        return run_simulator_command(arguments[0], arguments[1:])
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help()
        return 2
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
