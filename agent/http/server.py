"""Serve the HTTP side with uvicorn inside the agent's own event loop.

``run_http(agent)`` opens the audit log, starts the live feed and serves
the app on ``[http] listen`` (TLS when ``tls_cert``/``tls_key`` are set)
until cancelled. Rules:

* one process, one loop: no thread, no second process, no signal handlers of
  uvicorn's own (the agent owns SIGTERM/SIGINT and shuts everything down);
* the HTTP side can never take the agent down: a port that cannot be bound
  is logged and retried with backoff (1 s doubling to ``BIND_RETRY_S``)
  while the pollers go on;
* ``agent.http_url`` tells where it listens (port 0 picks a free port).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import uvicorn

from agent.backoff import Backoff
from agent.runtime import Agent

from .app import create_app
from .security import AuditLog
from .view import LiveFeed

BIND_RETRY_FIRST_S = 1.0
BIND_RETRY_S = 30.0
AUDIT_FILE = "audit.sqlite"
AUDIT_PRUNE_S = 3600.0
log = logging.getLogger("agent.http")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the agent handles signals; see the module doc


async def run_http(agent: Agent) -> None:
    http = agent.config.http
    audit = AuditLog(
        agent.config.agent.data_dir / AUDIT_FILE, retention_days=http.audit_retention_days
    )
    await audit.open()
    feed = LiveFeed(agent)
    feed_task = asyncio.create_task(feed.run(), name="http live feed")
    prune_task = asyncio.create_task(_prune(audit), name="audit retention")
    try:
        app = create_app(agent, feed, audit)
        host, _, port = http.listen.rpartition(":")
        config = uvicorn.Config(
            app,
            host=host.strip("[]"),
            port=int(port),
            log_config=None,
            access_log=False,
            lifespan="off",
            ssl_certfile=None if http.tls_cert is None else str(http.tls_cert),
            ssl_keyfile=None if http.tls_key is None else str(http.tls_key),
            timeout_graceful_shutdown=2,
        )
        backoff = Backoff(BIND_RETRY_FIRST_S, BIND_RETRY_S)
        while True:
            server = _Server(config)
            serving = asyncio.create_task(_serve(server, agent))
            try:
                await serving
            finally:
                if not serving.done():
                    server.should_exit = True
                    await asyncio.shield(serving)
            delay = backoff.next()
            log.error("http: cannot listen on %s; retrying in %.1f s", http.listen, delay)
            await asyncio.sleep(delay)
    finally:
        agent.http_url = None
        for task in (feed_task, prune_task):
            task.cancel()
        await asyncio.gather(feed_task, prune_task, return_exceptions=True)
        await audit.close()


async def _serve(server: uvicorn.Server, agent: Agent) -> None:
    """Run ``server``; returns only if it could not start (uvicorn exits on a bind error)."""
    announce = asyncio.create_task(_announce(server, agent))
    try:
        with contextlib.suppress(SystemExit):
            await server.serve()
    finally:
        announce.cancel()


async def _announce(server: uvicorn.Server, agent: Agent) -> None:
    while not server.started:
        await asyncio.sleep(0.02)
    sockets = [sock for srv in server.servers for sock in (srv.sockets or ())]
    if sockets:
        host, port = sockets[0].getsockname()[:2]
        scheme = "https" if agent.config.http.tls_cert else "http"
        shown = f"[{host}]" if ":" in host else host
        agent.http_url = f"{scheme}://{shown}:{port}/"
        log.info("http: status page at %s", agent.http_url)


async def _prune(audit: AuditLog) -> None:
    while True:
        await audit.prune(datetime.now(UTC))
        await asyncio.sleep(AUDIT_PRUNE_S)
