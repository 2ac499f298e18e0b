"""The agent's heartbeat to systemd: a STATUS= line for technicians, WATCHDOG=1 only while it moves.

``heartbeat(agent, notifier)`` runs beside the pollers until cancelled. Rules:

* WATCHDOG=1 goes out every third of WatchdogSec (systemd asks for at least
  every half; the third leaves room for a slow turn), and only while the
  agent makes progress: every poller turned its loop within the last
  WatchdogSec, or sleeps on purpose before reopening a broken port (a broken
  port is not a stuck poller), and a no-op round trip through the store
  writer's queue answered within a third of WatchdogSec. When a check
  fails nothing is sent, the reason goes to the log and the STATUS= line,
  and systemd kills and restarts the agent once WatchdogSec has passed.
* STATUS= goes out every ``STATUS_SECONDS`` (and at once when the health
  changes): ``12/12 machines online, buffer 0 events, amqp connected``.
* No WatchdogSec: only STATUS= lines. No NOTIFY_SOCKET: returns at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from .notify import Notifier
from .poller import Poller
from .runtime import Agent
from .store import Store, StoreError

STATUS_SECONDS = 5.0
log = logging.getLogger("agent.watchdog")


def stalled(pollers: list[Poller], now: float, stuck_after: float, since: float) -> list[str]:
    """What is wrong with the pollers that made no progress for ``stuck_after`` seconds."""
    problems = []
    for poller in pollers:
        state = poller.state
        moved = max(state.last_progress, state.waiting_until, since)
        if now - moved > stuck_after:
            problems.append(f"line {state.name} made no progress for {stuck_after:g} s")
    return problems


async def store_answers(store: Store, timeout: float) -> list[str]:
    """Nothing if the store writer answers a no-op within ``timeout``, else the problem."""
    try:
        async with asyncio.timeout(timeout):
            await store.ping()
    except TimeoutError:
        return [f"store writer silent for {timeout:g} s"]
    except StoreError as exc:
        return [f"store writer: {exc}"]
    return []


def status_line(agent: Agent, problems: Sequence[str] = ()) -> str:
    """What ``systemctl status`` shows: machines online, buffered events, upstreams."""
    total = sum(len(p.spec.machines) for p in agent.pollers)
    online = sum(s.online for p in agent.pollers for s in p.stats().values())
    parts = [f"{online}/{total} machines online"]
    down = [p.spec.name for p in agent.pollers if not p.state.connected]
    if down:
        parts.append(f"{len(down)} of {len(agent.pollers)} lines down")
    parts.append(f"buffer {agent.store.depth().count} events")
    if not agent.store.healthy:
        parts.append(f"store failing: {agent.store.last_error}")
    for sink in agent.sinks:
        snap = sink.snapshot()
        word = "blocked" if snap.blocked else "connected" if snap.connected else "disconnected"
        parts.append(f"{snap.name} {word}")
    text = ", ".join(parts)
    if problems:
        text += "; watchdog held: " + "; ".join(problems)
    return text


def safe_status_line(agent: Agent, problems: Sequence[str]) -> str:
    """``status_line``, or a placeholder: a status read that fails must not stop the agent."""
    try:
        return status_line(agent, problems)
    except Exception:
        log.exception("cannot build the systemd status line")
        return "status unavailable (see the log)" + "".join(f"; {p}" for p in problems)


async def heartbeat(
    agent: Agent, notifier: Notifier, *, status_every: float = STATUS_SECONDS
) -> None:
    """Send STATUS= and (while healthy) WATCHDOG=1 until cancelled."""
    if not notifier.enabled:
        return
    interval = notifier.watchdog_interval()
    period = status_every if interval is None else min(status_every, interval / 3)
    loop = asyncio.get_running_loop()
    since = loop.time()
    next_status = since
    reported: list[str] = []
    while True:
        started = loop.time()
        problems: list[str] = []
        if interval is not None:
            problems = stalled(agent.pollers, started, interval, since)
            problems += await store_answers(agent.store, interval / 3)
            if not problems:
                notifier.watchdog()
        if problems != reported:
            if problems:
                log.warning("watchdog held (systemd will restart): %s", "; ".join(problems))
            else:
                log.info("watchdog: progress again")
        if started >= next_status or problems != reported:
            notifier.status(safe_status_line(agent, problems))
            next_status = started + status_every
        reported = problems
        await asyncio.sleep(max(0.0, period - (loop.time() - started)))
