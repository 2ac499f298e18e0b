"""``floor-agent config check FILE``: check a configuration without starting.

Loads the file exactly as ``floor-agent run`` would (TOML, secrets, schema,
cross-checks). Prints ``FILE: OK (N lines, M machines)`` and exits 0, or
prints one ``FILE: key.path: reason`` line per problem on stderr and exits
``EX_CONFIG`` (78). Secrets are read, so run it with the service's
environment to check them too; their values are never printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .config import EX_CONFIG, ConfigError, load_config


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "config",
        help="work with configuration files",
        description="Work with floor-agent configuration files (see docs/configuration.md).",
    )
    actions = parser.add_subparsers(dest="config_command", metavar="COMMAND", required=True)
    check = actions.add_parser(
        "check",
        help="check a configuration file and exit 0, or 78 with the problems",
        description="Check a configuration file as 'floor-agent run' would, without starting.",
    )
    check.add_argument("file", type=Path, help="the TOML configuration file")
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EX_CONFIG
    machines = sum(len(line.machines) for line in config.lines)
    print(f"{args.file}: OK ({_count(len(config.lines), 'line')}, {_count(machines, 'machine')})")
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
