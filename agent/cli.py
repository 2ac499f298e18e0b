"""The ``floor-agent`` command line.

Subcommands are added as the product grows; each lives in its own module and
registers here: ``sas-decode`` (explain a captured SAS reply), ``simulate``
(the machine simulator), ``ledger compare`` (check what arrived upstream
against what the simulated machines reported) and ``token new`` (an API
token for ``[[http.tokens]]``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from simulator.cli import add_parser as add_simulate
from simulator.ledger_cli import add_commands as add_ledger

from . import __version__
from .config_cli import add_parser as add_config
from .demo import add_parser as add_demo
from .run_cli import add_parsers as add_run
from .sas_decode import add_parser as add_sas_decode
from .token_cli import add_parser as add_token


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
    add_simulate(commands)
    ledger = commands.add_parser("ledger", help="check a simulator ledger against upstream events")
    add_ledger(ledger.add_subparsers(dest="ledger_command", metavar="COMMAND", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
