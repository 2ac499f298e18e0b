"""The one ASGI middleware that applies the guard and writes the audit log for every call.

It is pure ASGI (not Starlette's ``BaseHTTPMiddleware``): the response is
passed on message by message, never buffered, so Server-Sent Events and
other streams flow as the route sends them.

Per request (``http`` and ``websocket`` scopes; ``lifespan`` passes
through untouched):

- ``Guard.check`` (guard.py) decides. A refusal is answered here with
  ``{"detail": ...}`` JSON (a WebSocket is closed with code 1008) and the
  route is never called.
- Otherwise ``scope["state"]["principal"]`` is the ``Principal`` (or
  ``None``) and ``scope["state"]["client_ip"]`` the client's address, so a
  route reads ``request.state.principal`` and ``request.state.client_ip``.
- One ``AuditRecord`` is queued when the response starts (its status), when
  the route fails before starting one (500), or when it ends without one
  (no status). Queuing never waits for the disk (audit.py).

``install_security`` adds it; call it after every other ``add_middleware``
so it is the outermost of them and sees each request first.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.config.schema import Http

from .audit import AuditLog
from .guard import PUBLIC_PATHS, Admitted, Guard, Refused
from .records import AuditRecord, redact_query

log = logging.getLogger(__name__)

DENIALS = frozenset({401, 403})  # a route's require() said no
POLICY_VIOLATION = 1008  # WebSocket close code, RFC 6455 section 7.4.1
_STARTS = frozenset(
    {"http.response.start", "websocket.accept", "websocket.close", "websocket.http.response.start"}
)


def install_security(
    app: FastAPI,
    http: Http,
    audit: AuditLog,
    *,
    clock: Callable[[], float] = time.monotonic,
    public_paths: Iterable[str] = PUBLIC_PATHS,
) -> None:
    """Put the security middleware in front of ``app``, configured from ``[http]``.

    ``clock`` (monotonic seconds) drives the rate limit and the durations;
    ``public_paths`` are served without a credential even when
    ``anonymous_role = "none"`` (still behind the allow-list and rate limit).
    Raises ``ConfigError`` if ``http.jwt.public_key_file`` cannot be read.
    """
    guard = Guard.from_config(http, public_paths=public_paths)
    app.add_middleware(SecurityMiddleware, guard=guard, audit=audit, clock=clock)


class SecurityMiddleware:
    """See the module docstring."""

    def __init__(
        self, app: ASGIApp, *, guard: Guard, audit: AuditLog, clock: Callable[[], float]
    ) -> None:
        self.app = app
        self.guard = guard
        self.audit = audit
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = self.clock()
        decision = self.guard.check(scope, started)
        if isinstance(decision, Refused):
            log.debug(
                "refused %s %s from %s: %d %s",
                scope.get("method", "WS"),
                scope.get("path"),
                decision.client_ip,
                decision.status,
                decision.detail,
            )
            self._record(scope, decision, decision.status, started)
            await _refuse(scope, receive, send, decision)
            return
        state = scope.setdefault("state", {})
        state["principal"] = decision.principal
        state["client_ip"] = decision.client_ip
        recorded = False

        async def send_and_record(message: Message) -> None:
            nonlocal recorded
            if not recorded and message["type"] in _STARTS:
                recorded = True
                self._record(scope, decision, _status(message), started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        except BaseException:
            if not recorded:
                recorded = True
                self._record(scope, decision, 500, started)
            raise
        if not recorded:
            self._record(scope, decision, None, started)

    def _record(
        self, scope: Scope, decision: Admitted | Refused, status: int | None, started: float
    ) -> None:
        if isinstance(decision, Refused):
            principal, method, detail = None, decision.method, decision.detail
        else:
            principal, detail = decision.principal, None
            method = None if principal is None else principal.method
        self.audit.record(
            AuditRecord(
                at=self.audit.wall(),
                kind="request",
                principal=None if principal is None else principal.name,
                role=None if principal is None else principal.role.label,
                method=method,
                client_ip=decision.client_ip,
                http_method=scope.get("method", "WS"),
                path=scope.get("path"),
                query=redact_query(scope.get("query_string", b"").decode("latin-1")),
                status=status,
                duration_ms=round((self.clock() - started) * 1000, 3),
                result="denied" if detail is not None or status in DENIALS else "allowed",
                detail=detail,
            )
        )


def _status(message: Message) -> int | None:
    if message["type"] in ("http.response.start", "websocket.http.response.start"):
        status: int = message["status"]
        return status
    return 101 if message["type"] == "websocket.accept" else 403  # closed before accepting


async def _refuse(scope: Scope, receive: Receive, send: Send, refused: Refused) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        reason = refused.detail[:120]  # a close reason is at most 123 bytes
        await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": reason})
        return
    body = json.dumps({"detail": refused.detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((name.encode(), value.encode("latin-1")) for name, value in refused.headers),
    ]
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
