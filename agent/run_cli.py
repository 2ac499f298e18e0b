"""``floor-agent run`` and ``floor-agent events``.

* ``run --config FILE``: the daemon. A bad configuration exits with 78
  (EX_CONFIG) so systemd does not restart-loop; SIGTERM/SIGINT stop it
  cleanly (pending events are committed first).
* ``events --config FILE [--follow] [--machine M] [--since T] [--json]``:
  what the store holds - a technician's tail, or an export with one event
  envelope per line. It opens the store read-only, beside a running agent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .config import EX_CONFIG, AgentConfig, ConfigError, load_config
from .events.envelope import StoredEvent, parse_time
from .logs import configure as configure_logging
from .service import check_supported, serve
from .store.reader import Reader

FOLLOW_SECONDS = 0.5


def add_parsers(commands: Any) -> None:
    run = commands.add_parser("run", help="run the agent", description="Run the floor agent.")
    run.add_argument("--config", type=Path, required=True, help="the TOML configuration file")
    run.set_defaults(run=run_command)

    events = commands.add_parser(
        "events", help="read the stored events", description="Print the events in the store."
    )
    events.add_argument("--config", type=Path, required=True)
    events.add_argument("--follow", action="store_true", help="keep printing new events")
    events.add_argument("--machine", help="only this machine id")
    events.add_argument(
        "--since", help="ISO time (2026-11-22T10:00:00Z) or an age: 30s, 10m, 2h, 7d"
    )
    events.add_argument("--json", action="store_true", help="one JSON event envelope per line")
    events.add_argument("--limit", type=int, default=0, help="stop after N events (0: all)")
    events.set_defaults(run=events_command)


def _load(path: Path) -> AgentConfig:
    config = load_config(path)
    check_supported(config, str(path))
    return config


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)


# --- run ------------------------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    try:
        config = _load(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EX_CONFIG

    configure_logging(config.logging)

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        await serve(config, stop)

    asyncio.run(main())
    return 0


# --- events ---------------------------------------------------------------------------


def parse_since(text: str, now: datetime) -> datetime:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[-1:] in units and text[:-1].replace(".", "", 1).isdigit():
        return now - timedelta(seconds=float(text[:-1]) * units[text[-1]])
    try:
        return parse_time(text)
    except ValueError as exc:
        raise ValueError(
            f"--since: expected an ISO time with a zone or an age like 10m: {exc}"
        ) from exc


def describe(stored: StoredEvent) -> str:
    event = stored.event
    data = " ".join(f"{k}={v}" for k, v in event.data.items())
    flag = " (possible duplicate)" if event.possible_duplicate else ""
    stamp = event.timestamp.isoformat(timespec="milliseconds")
    return (
        f"{stored.seq:>8} {stamp} {event.machine:<12} {event.channel:<7} {event.event} {data}{flag}"
    )


def events_command(args: argparse.Namespace) -> int:
    try:
        config = _load(args.config)
        since = None if args.since is None else parse_since(args.since, datetime.now(UTC))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EX_CONFIG
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = config.store_path
    if not path.exists():
        print(f"error: no store at {path} (has the agent run yet?)", file=sys.stderr)
        return 1
    printer: Callable[[StoredEvent], str] = (
        (lambda s: json.dumps(s.envelope(), separators=(",", ":"))) if args.json else describe
    )
    reader = Reader(path, busy_timeout_ms=5000, keep=1)
    printed, after = 0, 0
    try:
        while True:
            page = reader.read(after_seq=after, limit=500, machine=args.machine, since=since)
            for stored in page:
                print(printer(stored), flush=True)
                printed += 1
                after = stored.seq
                if args.limit and printed >= args.limit:
                    return 0
            if len(page) == 500:
                continue
            if not args.follow:
                return 0
            time.sleep(FOLLOW_SECONDS)
    except KeyboardInterrupt:
        return 0
    finally:
        reader.close()
