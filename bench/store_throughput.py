"""Store throughput: group commit against one FULL commit per event and the disk's fsync rate.

    .venv/bin/python bench/store_throughput.py [--dir DIR] [--seconds 3] [--producers 64]

All in one run, on the same filesystem:

1. raw fsync rate - write 128 bytes to a small file and fsync it, in a loop:
   the ceiling for anything that must be on disk before it answers (SQLite
   syncs its WAL with fdatasync: one per commit, checked with strace);
2. one FULL commit per event - the Store with one producer awaiting each
   append of one event (nothing to group: one commit, one fsync, per event);
3. group commit - the Store with ``--producers`` tasks (the lines), each
   appending one event at a time and awaiting it, with the default 2 ms
   window; and the same with no window (batches form only while a commit
   is in flight).

``--slow-disk-ms N`` adds N ms to every raw fsync and every commit (a
``before_commit`` hook that sleeps), to show what slower storage does.
It prints events/s, commits/s, mean batch, append latency p50/p99, the
process CPU (share of one core) and the ratios. ``--dir`` defaults to a
temporary directory inside the project (not /tmp, which is often tmpfs,
where fsync costs nothing); the filesystem type of the directory is
printed, since the figures mean nothing without it.
Nothing is asserted: these are figures for the notes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.events.envelope import Channel, Event
from agent.store import Store, StoreHooks, StoreOptions

PROJECT = Path(__file__).resolve().parent.parent


def filesystem_of(directory: Path) -> str:
    """'<type> on <device> (<mount point>)' for the mount holding ``directory``."""
    best = ("?", "?", "")
    target = str(directory.resolve())
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return "unknown filesystem"
    for line in lines:
        device, mount, fstype = line.split()[:3]
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best[2]):
            best = (fstype, device, mount)
    return f"{best[0]} on {best[1]} (mounted at {best[2]})"


def fsync_rate(directory: Path, seconds: float, extra_ms: float) -> float:
    path = directory / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    payload = b"x" * 128
    count = 0
    try:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            os.pwrite(fd, payload, 0)
            os.fsync(fd)
            if extra_ms:
                time.sleep(extra_ms / 1000)
            count += 1
        elapsed = time.perf_counter() - started
    finally:
        os.close(fd)
        path.unlink()
    return count / elapsed


def sample_event(line: int, n: int) -> Event:
    return Event(
        event="billAccepted",
        channel=Channel.CASH,
        timestamp=datetime.now(UTC),
        machine=f"Slot-{line:03d}",
        line=f"line-{line:03d}",
        protocol="sas",
        data={"amount_cents": 2000, "currency": "USD", "n": n},
        meters={"coin_in": 123400 + n, "coin_out": 98000, "credits": 2000},
        raw={"protocol": "sas", "code": 0x4F, "long_poll": "01 48 00 00 20 00"},
    )


class Result:
    def __init__(
        self,
        label: str,
        *,
        events: int,
        commits: int,
        elapsed: float,
        cpu: float,
        lat: list[float],
    ) -> None:
        self.label = label
        self.cpu = cpu / elapsed
        self.rate = events / elapsed
        self.commit_rate = commits / elapsed
        self.batch = events / commits if commits else 0.0
        lat.sort()
        self.p50 = lat[len(lat) // 2] * 1000 if lat else 0.0
        self.p99 = lat[int(len(lat) * 0.99)] * 1000 if lat else 0.0


async def store_run(
    label: str,
    directory: Path,
    *,
    producers: int,
    window_ms: float,
    seconds: float,
    extra_ms: float = 0.0,
) -> Result:
    path = directory / f"bench-{producers}-{window_ms}.sqlite"
    commits = [0]

    def count(_: int) -> None:
        commits[0] += 1

    def slow_disk(_: int) -> None:
        time.sleep(extra_ms / 1000)

    store = await Store.open(
        path,
        "bench",
        StoreOptions(group_commit_ms=window_ms, max_size_mb=None),
        hooks=StoreHooks(after_commit=count, before_commit=slow_disk if extra_ms else None),
    )
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def producer(line: int) -> int:
        n = 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            await store.append([sample_event(line, n)])
            latencies.append(time.perf_counter() - started)
            n += 1
        return n

    started, cpu_started = time.perf_counter(), time.process_time()
    commits[0] = 0
    try:
        counts = await asyncio.gather(*(producer(i) for i in range(producers)))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        await store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return Result(
        label, events=sum(counts), commits=commits[0], elapsed=elapsed, cpu=cpu, lat=latencies
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="data directory to measure (default: temp dir)")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each run")
    parser.add_argument("--producers", type=int, default=64, help="concurrent lines")
    parser.add_argument(
        "--slow-disk-ms",
        type=float,
        default=0.0,
        help="add this many ms to every fsync and every commit (emulates slower storage)",
    )
    args = parser.parse_args(argv)

    own = args.dir is None
    directory = Path(tempfile.mkdtemp(prefix=".store-bench-", dir=PROJECT)) if own else args.dir
    directory.mkdir(parents=True, exist_ok=True)
    try:
        print(f"directory:  {directory}")
        print(f"filesystem: {filesystem_of(directory)}")
        print(f"runs of {args.seconds:g} s each; each event is a ~400-byte envelope\n")
        if args.slow_disk_ms:
            print(f"emulating slower storage: +{args.slow_disk_ms:g} ms per fsync/commit\n")
        fsyncs = fsync_rate(directory, args.seconds, args.slow_disk_ms)
        runs = [
            asyncio.run(
                store_run(
                    "one FULL commit per event (1 producer)",
                    directory,
                    producers=1,
                    window_ms=0,
                    seconds=args.seconds,
                    extra_ms=args.slow_disk_ms,
                )
            ),
            asyncio.run(
                store_run(
                    f"group commit, {args.producers} producers, 2 ms window",
                    directory,
                    producers=args.producers,
                    window_ms=2,
                    seconds=args.seconds,
                    extra_ms=args.slow_disk_ms,
                )
            ),
            asyncio.run(
                store_run(
                    f"group commit, {args.producers} producers, no window",
                    directory,
                    producers=args.producers,
                    window_ms=0,
                    seconds=args.seconds,
                    extra_ms=args.slow_disk_ms,
                )
            ),
        ]
    finally:
        if own:
            shutil.rmtree(directory, ignore_errors=True)

    print(
        f"{'run':<46} {'events/s':>10} {'commits/s':>10} {'batch':>7}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'CPU':>5}"
    )
    print(f"{'raw write+fsync of a small file':<46} {fsyncs:>10.0f} {fsyncs:>10.0f}")
    for r in runs:
        print(
            f"{r.label:<46} {r.rate:>10.0f} {r.commit_rate:>10.0f} {r.batch:>7.1f}"
            f" {r.p50:>7.2f} {r.p99:>7.2f} {r.cpu:>5.2f}"
        )
    single, grouped, nowindow = runs
    print()
    print(f"group commit / single commits:   {grouped.rate / single.rate:6.1f}x")
    print(f"group commit / raw fsync rate:   {grouped.rate / fsyncs:6.1f}x")
    print(f"single commits / raw fsync rate: {single.rate / fsyncs:6.2f}x")
    print(f"no window / 2 ms window:         {nowindow.rate / grouped.rate:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
