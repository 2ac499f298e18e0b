"""How many machines one simulator process serves at a 200 ms poll interval, and at what CPU.

    .venv/bin/python bench/simulator_capacity.py [--machines 64 256 512] [--seconds 10]

For each size it starts ``python -m simulator`` (one pty per machine, busy
play) and, as the reference, a bare pty echo server that answers every
general poll with 00 and does nothing else. A load generator (this process,
asyncio with ``add_reader`` on raw descriptors) polls every machine every
200 ms like a SMIB: a sync poll and a general poll, with a long poll (1A)
every fifth cycle. It prints, per size: replies received / expected, reply
latency p50 / p99, the simulator's CPU (share of one core, from
/proc/PID/stat), CPU per machine, and the ratio of the simulator's CPU to
the reference's. Nothing is asserted: these are figures for the notes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import termios
import time
import tty
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.runner import raise_file_limit

INTERVAL = 0.2
ECHO_SERVER = r"""
import asyncio, os, sys, tty, json, resource
from pathlib import Path
n, directory = int(sys.argv[1]), Path(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * n + 64), hard))
async def main():
    loop = asyncio.get_running_loop()
    machines = []
    for i in range(n):
        master, slave = os.openpty(); tty.setraw(slave); os.set_blocking(master, False)
        path = directory / f"echo-{i:03d}"; path.symlink_to(os.ttyname(slave))
        def readable(master=master):
            try: data = os.read(master, 4096)
            except OSError: return
            for byte in data:
                if byte == 0x81: os.write(master, b"\x00")
                elif byte == 0x1A: os.write(master, b"\x01\x1a\x00\x00\x00\x00\x00\x00")
        loop.add_reader(master, readable)
        machines.append({"port": str(path)})
    (directory / "simulator.json").write_text(json.dumps({"machines": machines}))
    await asyncio.Event().wait()
asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


class Load:
    def __init__(self, ports: list[str]) -> None:
        self.ports = ports
        self.latencies: list[float] = []
        self.expected = 0
        self.received = 0

    async def run(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        fds = []
        for path in self.ports:
            fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            tty.setraw(fd)
            termios.tcflush(fd, termios.TCIOFLUSH)
            fds.append(fd)
        sent_at: dict[int, float] = {}

        def readable(fd: int) -> None:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            started = sent_at.pop(fd, None)
            if started is not None and data:
                self.latencies.append(loop.time() - started)
                self.received += 1

        for fd in fds:
            loop.add_reader(fd, readable, fd)
            os.write(fd, b"\x80")
        await asyncio.sleep(0.3)
        # Each machine has its own phase in the 200 ms cycle, as on a real floor
        # where every line's poller runs on its own clock: polls are spread out.
        slot = 0.005
        per_slot = max(1, round(len(fds) * slot / INTERVAL))
        end = loop.time() + seconds
        cycle = 0
        while loop.time() < end:
            started = loop.time()
            for first in range(0, len(fds), per_slot):
                for index in range(first, min(first + per_slot, len(fds))):
                    fd = fds[index]
                    long_poll = (cycle + index) % 5 == 0
                    try:
                        os.write(fd, b"\x80\x01\x1a" if long_poll else b"\x80\x81")
                    except OSError:
                        continue
                    sent_at[fd] = loop.time()
                    self.expected += 1
                await asyncio.sleep(slot)
            cycle += 1
            await asyncio.sleep(max(0.0, INTERVAL - (loop.time() - started)))
        await asyncio.sleep(0.1)
        for fd in fds:
            loop.remove_reader(fd)
            os.close(fd)


def measure(command: list[str], directory: Path, seconds: float) -> tuple[Load, float]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    manifest = directory / "simulator.json"
    deadline = time.monotonic() + 60
    while not manifest.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "no start")
        time.sleep(0.05)
    ports = [m["port"] for m in json.loads(manifest.read_text())["machines"]]
    load = Load(ports)
    cpu_before, wall_before = cpu_seconds(process.pid), time.monotonic()
    asyncio.run(load.run(seconds))
    cpu = (cpu_seconds(process.pid) - cpu_before) / (time.monotonic() - wall_before)
    process.terminate()
    process.wait(timeout=30)
    return load, cpu


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, nargs="+", default=[64, 256, 512])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    raise_file_limit(2 * max(args.machines) + 64)
    print(f"poll interval {INTERVAL * 1000:.0f} ms per machine, {args.seconds:.0f} s per run")
    header = "machines  target  replies  p50 ms  p99 ms  CPU(core)  CPU/machine  ref CPU  ratio"
    print(header)
    for machines in args.machines:
        with tempfile.TemporaryDirectory() as sim_dir, tempfile.TemporaryDirectory() as ref_dir:
            sim_command = [sys.executable, "-m", "simulator", "--machines", str(machines)]
            sim_command += ["--dir", sim_dir, "--scenario", "busy_friday", "--no-chirp"]
            sim_command += ["--summary-every", "0"]
            load, cpu = measure(sim_command, Path(sim_dir), args.seconds)
            ref_command = [sys.executable, "-c", ECHO_SERVER, str(machines), ref_dir]
            _, ref_cpu = measure(ref_command, Path(ref_dir), args.seconds)
        share = load.received / load.expected if load.expected else 0.0
        ms = [v * 1000 for v in load.latencies]
        print(
            f"{machines:8d}  {machines / INTERVAL:6.0f}/s  {share:7.1%}  "
            f"{statistics.median(ms) if ms else float('nan'):6.2f}  {percentile(ms, 0.99):6.2f}  "
            f"{cpu:9.3f}  {cpu / machines * 1000:8.3f} m  {ref_cpu:7.3f}  "
            f"{cpu / ref_cpu if ref_cpu else float('nan'):5.1f}x"
        )


if __name__ == "__main__":
    main()
