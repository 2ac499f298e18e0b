"""The ``floor-agent`` command line.

Subcommands are added as the product grows; each lives in its own module and
registers here. Today: ``floor-agent sas-decode``, a technician's tool that
explains a captured SAS reply byte by byte.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .sas_decode import add_parser as add_sas_decode


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="floor-agent",
        description="Casino floor edge agent: polls slot machines over SAS/GAPI.",
    )
    parser.add_argument("--version", action="version", version=f"floor-agent {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_sas_decode(commands)
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
