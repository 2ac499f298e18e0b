"""200 requests/s on the API and the page while 64 machines are polled: the poll interval holds.

    .venv/bin/python bench/http_load.py [--machines 64] [--rate 200] [--seconds 30]

``python -m simulator`` runs the machines in a child process (one pty per
machine, the busy_friday scenario); the agent runs in this process with its
HTTP server on a free 127.0.0.1 port, exactly as ``floor-agent run`` serves
it (uvicorn in the agent's own loop, security and audit log included; only
the per-client rate limit is raised, since every request here comes from one
address). After a warm-up, two phases of the same length in the same run:

1. idle: no HTTP request; the poll intervals and the agent's CPU are the
   reference;
2. load: a load generator in a child process (``--client``: raw HTTP/1.1
   over ``CONNECTIONS`` keep-alive connections with a technician's bearer
   token; its CPU is not ours and never shares our loop) sends ``--rate``
   requests/s on a fixed schedule (open loop: a slow answer does not slow
   the sending), round robin over ``--paths`` (default ``PATHS``); latency counts from the
   scheduled send time, so a stall shows up instead of hiding.

Printed: the achieved request rate, the answers by path and status, request
latency p50 / p99, the poll interval p50 / p99 / max of each phase against
the configured 200 ms (and the load phase's p99 against the idle one), and
the agent's CPU. The issue asks for a load-phase p99 within 1.1x of the
configured interval; the last line says whether it is. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from agent.config.http_auth import HttpToken
from agent.runtime import Agent
from agent.service import serve
from bench.agent_polling import INTERVAL_MS, WARM_UP, cpu_seconds, percentile, start_simulator
from simulator.runner import raise_file_limit

PATHS = ("/", "/api/status", "/api/machines", "/api/events?limit=100", "/api/history", "/metrics")
CLIENT_WARM_UP = 3.0
CONNECTIONS = 16
"""Keep-alive connections of the load generator (a browser opens up to 6 per host)."""
TOKEN_ENV = "FLOOR_AGENT_BENCH_TOKEN"
HARVEST_S = 2.0
"""How often the recorded poll intervals are collected (a machine keeps its last 256)."""
HTTP_START_TIMEOUT = 30.0
REQUIREMENT = 1.1


# --- the load generator (child process) --------------------------------------------


class HttpClientError(Exception):
    """The server's answer could not be read as HTTP/1.1."""


async def get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bool]:
    """One keep-alive GET over raw HTTP/1.1; returns the status and whether to reconnect."""
    writer.write(request)
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in head[1:] if line)
    }
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        raise HttpClientError(f"no length in {head[0]!r}")
    return status, headers.get("connection", "").lower() == "close"


async def generate(
    url: str, token: str, rate: float, seconds: float, paths: list[str]
) -> dict[str, Any]:
    """Send ``rate`` requests/s for ``CLIENT_WARM_UP`` + ``seconds``; report the measured part.

    A fixed schedule feeds a queue that ``CONNECTIONS`` keep-alive
    connections serve; a request's latency counts from its scheduled time.
    Prints ``measuring`` when the measured part starts and ``done`` when its
    last request is due, so the parent can time its own phase to match.
    """
    loop = asyncio.get_running_loop()
    host, port = httpx.URL(url).host, httpx.URL(url).port or 80
    latencies: dict[str, list[float]] = collections.defaultdict(list)
    statuses: collections.Counter[str] = collections.Counter()
    answered_at: list[float] = []
    queue: asyncio.Queue[tuple[str, float, bool]] = asyncio.Queue()

    def request(path: str) -> bytes:
        return (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept-Encoding: identity\r\n\r\n"
        ).encode()

    requests = {path: request(path) for path in paths}

    async def connection() -> None:
        streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while True:
            path, scheduled, record = await queue.get()
            try:
                if streams is None:
                    streams = await asyncio.open_connection(host, port)
                code, close = await get(*streams, requests[path])
                outcome = str(code)
            except (OSError, asyncio.IncompleteReadError, HttpClientError, ValueError) as exc:
                outcome, close = type(exc).__name__, True
            if close and streams is not None:
                streams[1].close()
                streams = None
            if record:
                now = loop.time()
                latencies[path].append(now - scheduled)
                statuses[f"{path} {outcome}"] += 1
                answered_at.append(now)
            queue.task_done()

    workers = [asyncio.create_task(connection()) for _ in range(CONNECTIONS)]
    start = loop.time()
    measure_from = start + CLIENT_WARM_UP
    end = measure_from + seconds
    sent = n = 0
    while (at := start + n / rate) < end:
        if (delay := at - loop.time()) > 0:
            await asyncio.sleep(delay)
        record = at >= measure_from
        if record and sent == 0:
            print("measuring", flush=True)
        sent += record
        queue.put_nowait((paths[n % len(paths)], at, record))
        n += 1
    print("done", flush=True)
    await queue.join()
    for worker in workers:
        worker.cancel()
    return {
        "sent": sent,
        "seconds": seconds,
        "answered": len(answered_at),
        "last_answer_s": (max(answered_at) - measure_from) if answered_at else None,
        "statuses": dict(statuses),
        "latencies": latencies,
        "cpu_s": cpu_seconds(),
    }


def client_main(url: str, rate: float, seconds: float, paths: list[str]) -> None:
    token = os.environ[TOKEN_ENV]
    result = asyncio.run(generate(url, token, rate, seconds, paths))
    print(json.dumps(result), flush=True)


# --- the agent and the phases (this process) ---------------------------------------


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    intervals_ms: list[float]
    cpu: float
    """Share of one core used by this process (the agent) during the phase."""

    def row(self) -> str:
        values = self.intervals_ms
        p50, p99 = statistics.median(values), percentile(values, 0.99)
        return (
            f"{self.name:5s}  {len(values):7d}  {p50:7.1f}  {p99:7.1f}  {max(values):7.1f}  "
            f"{p50 / INTERVAL_MS:5.3f}x  {p99 / INTERVAL_MS:5.3f}x  {self.cpu:6.3f}"
        )


def drain_intervals(agent: Agent) -> list[float]:
    """The poll intervals recorded since the last drain, in ms (and forget them)."""
    out: list[float] = []
    for poller in agent.pollers:
        for stats in poller.stats().values():
            out += (value * 1000 for value in stats.recent_intervals)
            stats.recent_intervals.clear()
    return out


async def phase(name: str, agent: Agent, until: Awaitable[Any]) -> Phase:
    """Record poll intervals and CPU from now until ``until`` completes."""
    ending = asyncio.ensure_future(until)
    drain_intervals(agent)
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    intervals: list[float] = []
    while not ending.done():
        await asyncio.wait({ending}, timeout=HARVEST_S)
        intervals += drain_intervals(agent)
    cpu = (cpu_seconds() - cpu0) / (time.monotonic() - wall0)
    await ending
    return Phase(name, intervals, cpu)


async def wait_for_http(agent: Agent, token: str) -> str:
    deadline = time.monotonic() + HTTP_START_TIMEOUT
    while agent.http_url is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the agent's HTTP server did not start in {HTTP_START_TIMEOUT} s")
        await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=agent.http_url, timeout=10.0) as client:
        response = await client.get("/api/status", headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        raise RuntimeError(f"GET /api/status answered {response.status_code}: {response.text}")
    return agent.http_url


async def read_line(stream: asyncio.StreamReader, expected: str) -> None:
    line = (await stream.readline()).decode().strip()
    if line != expected:
        raise RuntimeError(f"load generator said {line!r}, expected {expected!r}")


async def measure(machines: int, rate: float, seconds: float, paths: list[str]) -> list[str]:
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        simulator, config = await start_simulator(base, machines)
        token = secrets.token_urlsafe(32)
        technician = HttpToken(
            name="bench",
            role="technician",  # /api/events needs it
            sha256=hashlib.sha256(token.encode()).hexdigest(),
        )
        http = config.http.model_copy(
            update={
                "listen": "127.0.0.1:0",
                "rate_limit_per_s": 100_000.0,
                "rate_burst": 100_000,
                "tokens": (technician,),
            }
        )
        config = config.model_copy(update={"http": http})
        stop = asyncio.Event()
        agents: list[Agent] = []
        task = asyncio.create_task(serve(config, stop, on_ready=agents.append))
        try:
            while not agents:
                if task.done():
                    await task
                await asyncio.sleep(0.05)
            agent = agents[0]
            url = await wait_for_http(agent, token)
            await asyncio.sleep(WARM_UP)
            idle = await phase("idle", agent, asyncio.sleep(seconds))
            client = await asyncio.create_subprocess_exec(
                *[sys.executable, __file__, "--client", url],
                *["--rate", str(rate), "--seconds", str(seconds), "--paths", *paths],
                stdout=asyncio.subprocess.PIPE,
                env={**os.environ, TOKEN_ENV: token},
            )
            assert client.stdout is not None
            await read_line(client.stdout, "measuring")
            load = await phase("load", agent, read_line(client.stdout, "done"))
            report = json.loads(await client.stdout.read())  # the rest, until it exits
            await client.wait()
            online = sum(s.online for p in agent.pollers for s in p.stats().values())
        finally:
            stop.set()
            await task
            simulator.terminate()
            simulator.wait(timeout=30)
    return summary(
        machines=machines,
        online=online,
        rate=rate,
        paths=paths,
        idle=idle,
        load=load,
        report=report,
    )


def summary(
    *,
    machines: int,
    online: int,
    rate: float,
    paths: list[str],
    idle: Phase,
    load: Phase,
    report: dict[str, Any],
) -> list[str]:
    seconds = report["seconds"]
    lines = [
        f"{machines} machines ({online} online at the end); configured poll interval "
        f"{INTERVAL_MS:.0f} ms; each phase {seconds:.0f} s after a {WARM_UP:.0f} s warm-up",
        "",
        f"requests: target {rate:.0f}/s, sent {report['sent'] / seconds:.1f}/s, "
        f"answered {report['answered']} of {report['sent']} "
        f"(the last {report['last_answer_s'] or 0:.2f} s into the {seconds:.0f} s phase); "
        f"load generator CPU {report['cpu_s']:.1f} s in its own process",
        "path                    answers (status)        p50 ms   p99 ms",
    ]
    every: list[float] = []
    for path in paths:
        values = [v * 1000 for v in report["latencies"].get(path, [])]
        every += values
        answers = ", ".join(
            f"{count} x {key.rsplit(' ', 1)[1]}"
            for key, count in sorted(report["statuses"].items())
            if key.rsplit(" ", 1)[0] == path
        )
        lines.append(f"{path:22s}  {answers:22s}  {_ms(values)}")
    lines.append(f"{'all':22s}  {len(every):<22d}  {_ms(every)}")
    lines += [
        "",
        "phase  intervals  p50 ms   p99 ms   max ms   p50/i   p99/i    CPU",
        idle.row(),
        load.row(),
        "",
    ]
    p99_idle = percentile(idle.intervals_ms, 0.99)
    p99_load = percentile(load.intervals_ms, 0.99)
    ratio = p99_load / INTERVAL_MS
    verdict = "met" if ratio <= REQUIREMENT else "NOT met"
    lines += [
        f"poll-interval p99 under load: {p99_load:.1f} ms = {ratio:.3f}x the configured "
        f"{INTERVAL_MS:.0f} ms (idle in the same run: {p99_idle:.1f} ms; load/idle "
        f"{p99_load / p99_idle:.3f}x)",
        f"agent CPU: idle {idle.cpu:.3f}, under load {load.cpu:.3f} of one core "
        f"(+{load.cpu - idle.cpu:.3f} for {report['answered'] / seconds:.0f} requests/s)",
        f"requirement p99 <= {REQUIREMENT}x the configured interval: {verdict}",
    ]
    return lines


def _ms(values: list[float]) -> str:
    if not values:
        return f"{'-':>6s}   {'-':>6s}"
    return f"{statistics.median(values):6.1f}   {percentile(values, 0.99):6.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=64)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--paths", nargs="+", default=list(PATHS), help="the requests' mix")
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client, args.rate, args.seconds, args.paths)
        return
    raise_file_limit(8 * args.machines + 256)
    for line in asyncio.run(measure(args.machines, args.rate, args.seconds, args.paths)):
        print(line, flush=True)


if __name__ == "__main__":
    main()
