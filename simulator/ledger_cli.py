"""``python -m simulator.ledger compare LEDGER UPSTREAM [--json]``.

Reads a ledger (``simulator/ledger.py``) and a JSON-lines file of upstream
event envelopes, compares them (``simulator/ledger_compare.py``) and prints
the summary table, or the full report as JSON with ``--json``.

Exit codes: 0 the comparison is ok, 1 something was lost, duplicated, out of
order or unexpected, 2 an input is unreadable or malformed (the message names
the file and line) or the command line is wrong.

``floor-agent ledger ...`` runs ``main`` with its own ``prog``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulator.ledger import LedgerFormatError, read_ledger
from simulator.ledger_compare import compare, read_upstream

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_BAD_INPUT = 2


def add_commands(commands: Any) -> None:
    """Add the ledger subcommands to an ``add_subparsers()`` object."""
    parser = commands.add_parser(
        "compare",
        help="compare a ledger with the events that arrived upstream",
        description="Compare what the simulated machines reported (the ledger) with the "
        "events that arrived upstream (JSON lines of event envelopes).",
    )
    parser.add_argument("ledger", type=Path, help="the simulator's ledger (JSON lines)")
    parser.add_argument("upstream", type=Path, help="upstream events (JSON lines)")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.set_defaults(run=run_compare)


def build_parser(prog: str = "python -m simulator.ledger") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Tools for the simulator's ledger of reported events.",
    )
    add_commands(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    return parser


def run_compare(args: argparse.Namespace) -> int:
    try:
        ledger = read_ledger(args.ledger)
        upstream = read_upstream(args.upstream)
    except LedgerFormatError as exc:
        print(f"error: malformed input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = compare(ledger, upstream)
    print(report.to_json() if args.json else report.summary())
    if ledger.torn_tail_line is not None and not args.json:
        print(f"note: {args.ledger}:{ledger.torn_tail_line}: torn last line ignored")
    return EXIT_OK if report.ok else EXIT_MISMATCH


def main(argv: Sequence[str] | None = None, prog: str = "python -m simulator.ledger") -> int:
    """``python -m simulator.ledger``, and ``floor-agent ledger`` (with its own ``prog``)."""
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    result: int = args.run(args)
    return result
