"""Wiring: the store, one poller per line, the upstream sinks and maintenance, in one TaskGroup.

``serve(config, stop)`` runs until ``stop`` is set, then cancels every task
and closes the store (pending appends are committed first). Under systemd
(``Type=notify``) it sends READY=1 once the store is open and the pollers
have started, STATUS= lines and the watchdog heartbeat meanwhile (see
``watchdog``), and STOPPING=1 when the stop begins. A task that
fails brings the whole group down with its exception, so the process exits
non-zero and systemd restarts it (docs/architecture.md, rule 6); a broken line or
upstream is not such a failure - pollers retry those themselves.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from .config import AgentConfig, ConfigError
from .http.server import run_http
from .limits import raise_file_limit
from .lines.registry import build_adapter, unsupported
from .notify import Notifier
from .poller import Poller
from .runtime import Agent
from .sinks import Sink, build_sinks
from .store import Store, StoreOptions, WhenFull
from .watchdog import heartbeat

MAINTENANCE_SECONDS = 60.0
SINK_DRAIN_SECONDS = 3.0
FILES_PER_LINE = 6
log = logging.getLogger("agent")


def check_supported(config: AgentConfig, source: str) -> None:
    """Refuse, as a configuration error, what this build cannot run yet."""
    problems = unsupported(config)
    if problems:
        raise ConfigError(source, problems)


def store_options(config: AgentConfig) -> StoreOptions:
    store = config.store
    return StoreOptions(
        group_commit_ms=store.group_commit_ms,
        retention_days=store.retention_days,
        max_size_mb=store.max_size_mb,
        when_full=WhenFull(store.when_full),
    )


async def maintain(store: Store, period: float = MAINTENANCE_SECONDS) -> None:
    while True:
        await store.maintain(datetime.now(UTC))
        await asyncio.sleep(period)


async def stop_pollers_then_drain(
    pollers: list[asyncio.Task[None]], sinks: list[Sink], grace: float = SINK_DRAIN_SECONDS
) -> None:
    """Stop polling, then give the sinks ``grace`` seconds to deliver what is stored.

    Whatever is still undelivered after that stays in the store for the next
    start; this only saves consumers a wait (and a replay) after a clean stop.
    """
    for task in pollers:
        task.cancel()
    if pollers:
        await asyncio.wait(pollers)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while sinks and loop.time() < deadline:
        snapshots = [sink.snapshot() for sink in sinks]
        if not any(snap.connected and snap.lag_events for snap in snapshots):
            return
        await asyncio.sleep(0.05)


async def serve(
    config: AgentConfig,
    stop: asyncio.Event,
    *,
    on_ready: Callable[[Agent], None] | None = None,
    store: Store | None = None,
    notifier: Notifier | None = None,
) -> None:
    """Run the agent until ``stop`` is set (``notifier``: systemd's, from the environment)."""
    notifier = notifier or Notifier()
    config.store_path.parent.mkdir(parents=True, exist_ok=True)
    raise_file_limit(FILES_PER_LINE * len(config.lines) + 256)
    machines = sum(len(line.machines) for line in config.lines)
    log.info(
        "floor-agent %s starting: %d lines, %d machines, store %s",
        config.agent.id,
        len(config.lines),
        machines,
        config.store_path,
    )
    if store is None:
        store = await Store.open(config.store_path, config.agent.id, store_options(config))
    try:
        sinks = build_sinks(config, store)
        # before any poller appends: a sink must never miss an event
        await store.register_sinks([sink.name for sink in sinks])
        adapters = [build_adapter(line, config.agent) for line in config.lines]
        points = await asyncio.to_thread(store.resume_points)
        for adapter in adapters:
            adapter.resume(points)
        pollers = [Poller(adapter, store) for adapter in adapters]
        agent = Agent(config=config, store=store, pollers=pollers, sinks=sinks)
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(p.run(), name=f"line {p.spec.name}") for p in pollers]
            tasks += [group.create_task(s.run(), name=f"sink {s.name}") for s in sinks]
            tasks.append(group.create_task(maintain(store), name="store maintenance"))
            tasks.append(group.create_task(run_http(agent), name="http"))
            beat = group.create_task(heartbeat(agent, notifier), name="systemd heartbeat")
            notifier.ready(f"polling {machines} machine(s) on {len(pollers)} line(s)")
            if on_ready is not None:
                on_ready(agent)
            # Everything built so far lives as long as the agent: keep it out of the
            # collector's full passes, which otherwise stall the loop (and the polls)
            # for tens of milliseconds on a big floor.
            gc.freeze()
            await stop.wait()
            beat.cancel()  # no WATCHDOG=1 after STOPPING=1
            notifier.stopping("stopping: committing and delivering what is in flight")
            await stop_pollers_then_drain(tasks[: len(pollers)], sinks)
            for task in tasks:
                task.cancel()
    finally:
        await store.close()
        log.info("floor-agent %s stopped", config.agent.id)
