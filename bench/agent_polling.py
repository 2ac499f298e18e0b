"""Poll intervals the agent keeps at 64, 256 and 512 machines, and its CPU and memory.

    .venv/bin/python bench/agent_polling.py [--machines 64 256 512] [--seconds 20]

For each size: ``python -m simulator`` in a child process (one pty per
machine, the busy_friday scenario), and the agent in this process with a
generated configuration (one line per pty, 200 ms poll interval). After a
warm-up (identification, baseline meters), it records every interval
between two polls to the same machine and prints p50 / p99 / max against the
configured interval, how many machines are online, the agent's CPU (share of
one core) and its resident memory. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.config import AgentConfig, config_for_demo
from agent.runtime import Agent
from agent.service import serve
from simulator.runner import raise_file_limit

INTERVAL_MS = 200.0
WARM_UP = 8.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> tuple[float, float]:
    fields = dict(
        line.split(":", 1)
        for line in Path("/proc/self/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def start_simulator(base: Path, machines: int) -> tuple[subprocess.Popen[bytes], AgentConfig]:
    """``python -m simulator`` (busy_friday, a pty per machine) and an agent config for it."""
    simulator = subprocess.Popen(
        [
            *[sys.executable, "-m", "simulator", "--machines", str(machines)],
            *["--dir", str(base / "ports"), "--scenario", "busy_friday"],
            *["--summary-every", "0"],
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    manifest = base / "ports" / "simulator.json"
    while not manifest.exists():
        if simulator.poll() is not None:
            raise RuntimeError(simulator.stderr.read().decode() if simulator.stderr else "")
        await asyncio.sleep(0.05)
    entries = json.loads(manifest.read_text())["machines"]
    config = config_for_demo(
        [(m["port"], [(m["address"], m["id"])]) for m in entries],
        base / "data",
        listen="127.0.0.1:0",  # sizes run back to back: never wait for the last one's port
    )
    return simulator, config


async def measure(machines: int, seconds: float) -> str:
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        simulator, config = await start_simulator(base, machines)
        stop = asyncio.Event()
        agents: list[Agent] = []
        task = asyncio.create_task(serve(config, stop, on_ready=agents.append))
        try:
            await asyncio.sleep(WARM_UP)
            agent = agents[0]
            for poller in agent.pollers:
                for stats in poller.stats().values():
                    stats.recent_intervals.clear()
            cpu0, wall0 = cpu_seconds(), time.monotonic()
            await asyncio.sleep(seconds)
            cpu = (cpu_seconds() - cpu0) / (time.monotonic() - wall0)
            intervals = [
                value * 1000
                for poller in agent.pollers
                for stats in poller.stats().values()
                for value in stats.recent_intervals
            ]
            online = sum(s.online for p in agent.pollers for s in p.stats().values())
            rss, peak = rss_mb()
        finally:
            stop.set()
            await task
            simulator.terminate()
            simulator.wait(timeout=30)
    p50, p99 = statistics.median(intervals), percentile(intervals, 0.99)
    worst = max(intervals)
    return (
        f"{machines:8d}  {online:4d}/{machines:<4d}  {p50:7.1f}  {p99:7.1f}  {worst:7.1f}  "
        f"{p50 / INTERVAL_MS:5.2f}x  {p99 / INTERVAL_MS:5.2f}x  {cpu:6.3f}  "
        f"{rss:6.1f} / {peak:6.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, nargs="+", default=[64, 256, 512])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    raise_file_limit(8 * max(args.machines) + 256)
    print(f"configured poll interval {INTERVAL_MS:.0f} ms; ", end="")
    print(f"{args.seconds:.0f} s measured after {WARM_UP:.0f} s")
    print("machines  online     p50 ms   p99 ms   max ms   p50/i  p99/i   CPU    RSS / peak MB")
    for machines in args.machines:
        print(asyncio.run(measure(machines, args.seconds)), flush=True)
    print(f"(pid {os.getpid()})")


if __name__ == "__main__":
    main()
