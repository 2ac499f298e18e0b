"""The REST routes: status, machines, events with look-back, history, stream, audit, actions.

Rules: every route declares the role it needs (``require``), so the role
table in docs/http.md is the code; store reads of more than a few rows run
in a worker thread (the store's readers are thread-safe) so a big page never
delays a poller; bad parameters are 4xx with a message that says what to
send instead; nothing returned carries a secret.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from agent.events.catalogue import EVENTS
from agent.events.envelope import Channel, StoredEvent

from .actions import ActionRunner
from .models import (
    ActionRequest,
    ActionResult,
    EventPage,
    History,
    MachineDetail,
    MachineStatus,
    Status,
)
from .security import AuditEntry, AuditLog, Principal, Role, require
from .view import FloorView, LiveFeed

JSON = "application/json"
MAX_PAGE = 1000
MAX_SEQ = 2**63 - 1  # SQLite's INTEGER
STREAM_STATUS_S = 1.0
STREAM_KEEPALIVE_S = 15.0
STREAM_RECENT = 50
"""How many of the most recent stored events a new stream starts with."""

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Technician = Annotated[Principal, Depends(require(Role.TECHNICIAN))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def api_router(
    view: FloorView, feed: LiveFeed, audit: AuditLog, actions: ActionRunner
) -> APIRouter:
    router = APIRouter(prefix="/api")
    store = view.agent.store

    @router.get("/status", summary="Everything the status page shows", response_model=Status)
    async def status(_: Viewer) -> Response:
        return Response(view.status_json(), media_type=JSON)

    @router.get(
        "/machines",
        summary="Every configured machine with its link counters",
        response_model=list[MachineStatus],
    )
    async def machines(_: Viewer) -> Response:
        body = [m.model_dump(mode="json") for m in view.status().machines]
        return Response(json.dumps(body, separators=(",", ":")), media_type=JSON)

    @router.get(
        "/machines/{machine_id}",
        summary="One machine: state, counters, last meters and identity",
        responses={404: {"description": "no such machine"}},
    )
    async def machine(machine_id: str, _: Technician) -> MachineDetail:
        detail = view.machine_detail(machine_id)
        if detail is None:
            raise HTTPException(404, f"no machine {machine_id!r}; see /api/machines")
        return detail

    @router.post(
        "/machines/{machine_id}/actions",
        summary="A remote action: enable, disable, resetHandpay, setTime, readMeters",
        responses={
            404: {"description": "no such machine"},
            409: {"description": "the machine is offline"},
            504: {"description": "the machine is online but did not answer in time"},
        },
    )
    async def action(
        machine_id: str, body: ActionRequest, request: Request, principal: Operator
    ) -> ActionResult:
        status = view.machine(machine_id)
        if status is None:
            raise HTTPException(404, f"no machine {machine_id!r}; see /api/machines")
        client = str(getattr(request.state, "client_ip", "") or "")
        if not status.online:
            detail = f"machine {machine_id} is offline: it cannot take {body.action} now"
            audit.record_action(principal, client, machine_id, body.action, False, detail)
            raise HTTPException(409, detail)
        result = await actions.run(machine_id, body)
        audit.record_action(principal, client, machine_id, body.action, result.ok, result.detail)
        if result.timed_out:
            raise HTTPException(504, result.detail)
        return result.result

    @router.get(
        "/events",
        summary="Stored events (7-day look-back), oldest first, paginated",
        response_model=EventPage,
    )
    async def events(
        *,
        _: Technician,
        machine: Annotated[str | None, Query(description="a machine id")] = None,
        channel: Annotated[Channel | None, Query()] = None,
        event: Annotated[str | None, Query(description="an event name (docs/events.md)")] = None,
        since: Annotated[datetime | None, Query(description="inclusive, ISO 8601")] = None,
        until: Annotated[datetime | None, Query(description="exclusive, ISO 8601")] = None,
        after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ, description="the page cursor")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    ) -> Response:
        if machine is not None and machine not in view.machine_ids():
            raise HTTPException(400, f"unknown machine {machine!r}; see /api/machines")
        if event is not None and event not in EVENTS:
            raise HTTPException(400, f"unknown event name {event!r}; see docs/events.md")
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.utcoffset() is None:
                raise HTTPException(400, f"{name} needs a time zone, e.g. 2026-11-22T10:00:00Z")
        if since is not None and until is not None and since >= until:
            raise HTTPException(400, "since must be before until")

        def page() -> bytes:
            # read, decode and serialise off the loop: a page of 1000 must not delay a poll
            rows = store.read(
                after_seq,
                limit + 1,
                machine=machine,
                channel=channel,
                event=event,
                since=since,
                until=until,
            )
            more = len(rows) > limit
            rows = rows[:limit]
            body = {
                "items": [row.envelope() for row in rows],
                "next_after_seq": rows[-1].seq if more else None,
            }
            return json.dumps(body, separators=(",", ":")).encode()

        return Response(await asyncio.to_thread(page), media_type=JSON)

    @router.get("/history", summary="The last hour: events/s, buffer depth, poll interval")
    async def history(_: Viewer) -> History:
        return view.history()

    @router.get(
        "/stream",
        summary="Server-Sent Events: `status` every second and every new `event`",
        response_class=StreamingResponse,
    )
    async def stream(_: Viewer) -> StreamingResponse:
        return StreamingResponse(
            _sse(view, feed),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get("/audit", summary="The audit log: every API call and action")
    async def audit_log(
        *,
        _: Admin,
        after_id: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        since: datetime | None = None,
        until: datetime | None = None,
        principal: str | None = None,
        kind: Annotated[str | None, Query(pattern="^(request|action)$")] = None,
    ) -> list[AuditEntry]:
        return await audit.query(
            after_id=after_id,
            limit=limit,
            since=since,
            until=until,
            principal=principal,
            kind=kind,
        )

    return router


def sse(kind: str, payload: str) -> bytes:
    return f"event: {kind}\ndata: {payload}\n\n".encode()


def _event(stored: StoredEvent) -> bytes:
    return sse("event", json.dumps(stored.envelope(), separators=(",", ":")))


async def _sse(view: FloorView, feed: LiveFeed) -> AsyncGenerator[bytes]:
    """The stream of one client: a status, the most recent events, then events as stored.

    Subscribed before the recent events are read, so nothing falls between
    the two; an event both read and queued is sent once (by seq).
    """
    loop = asyncio.get_running_loop()
    async with feed.subscribe() as queue:
        yield sse("status", view.status_json().decode())
        store = view.agent.store
        first = max(0, store.last_seq() - STREAM_RECENT)
        sent = 0
        for recent in await asyncio.to_thread(store.read, after_seq=first, limit=STREAM_RECENT):
            yield _event(recent)
            sent = recent.seq
        next_status = loop.time() + STREAM_STATUS_S
        next_keepalive = loop.time() + STREAM_KEEPALIVE_S
        while True:
            timeout = max(0.0, min(next_status, next_keepalive) - loop.time())
            try:
                stored = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                stored = None
            if stored is not None and stored.seq > sent:
                yield _event(stored)
            now = loop.time()
            if now >= next_status:
                yield sse("status", view.status_json().decode())
                next_status = now + STREAM_STATUS_S
            if now >= next_keepalive:
                yield b": keepalive\n\n"
                next_keepalive = now + STREAM_KEEPALIVE_S
