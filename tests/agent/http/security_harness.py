"""A tiny FastAPI app behind ``install_security``, and configurations to put in front of it.

The routes mirror the real API's roles (viewer status and stream, technician
events, operator actions, admin audit, an open /healthz) without an agent,
so the security package is tested on its own. Time is a ``Clock`` the test
moves; requests go through ``httpx.ASGITransport`` from a chosen address.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.responses import StreamingResponse

from agent.config import AgentConfig, Http, parse_config
from agent.http.security import (
    AuditLog,
    Principal,
    Role,
    install_security,
    require,
    token_hash,
)

HEAD = (
    '[agent]\nid = "floor-1"\n\n[[lines]]\nname = "bank-a"\nport = "/dev/ttyS0"\n'
    'protocol = "sas"\n\n[[lines.machines]]\naddress = 1\nid = "m1"\n\n'
)
CLIENT = "10.1.2.3"
TOKENS = {
    "viewer": "view-token-Q3lq0c5m2d9S3uQe1xW7yA",
    "technician": "tech-token-Vb8Hc2Pz4kLm1Nq7Rt5Sx0",
    "operator": "oper-token-Jd6Fg3Hk9Lm2Np5Qr8St1",
    "admin": "admn-token-Zx4Cv7Bn1Mm3Kl6Jh9Gf2",
}
JWT_SECRET = "jwt-secret-for-tests-0123456789abcdefABCDEF"  # 43 bytes: fine for HS256
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Technician = Annotated[Principal, Depends(require(Role.TECHNICIAN))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def tokens_toml() -> str:
    return "".join(
        f'[[http.tokens]]\nname = "{role}-1"\nrole = "{role}"\nsha256 = "{token_hash(token)}"\n'
        for role, token in TOKENS.items()
    )


def config(
    http: str = "", *, tokens: bool = True, tail: str = "", default_allow: bool = False
) -> AgentConfig:
    """A whole configuration whose ``[http]`` table holds ``http``.

    Unless ``http`` sets ``allow`` or ``default_allow`` keeps the default
    (loopback only), 10.0.0.0/8 is allowed, where ``CLIENT`` is.
    """
    if "allow =" not in http and not default_allow:
        http = 'allow = ["10.0.0.0/8"]\n' + http
    return parse_config(
        HEAD + "[http]\n" + http + "\n" + (tokens_toml() if tokens else "") + tail, "t.toml"
    )


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Wall:
    now: datetime = field(default_factory=lambda: datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


def make_app(http: Http, audit: AuditLog, clock: Callable[[], float]) -> FastAPI:
    app = FastAPI()

    def who(principal: Principal) -> dict[str, str]:
        return {"name": principal.name, "role": principal.role.label, "method": principal.method}

    @app.get("/api/status")
    async def status(principal: Viewer) -> dict[str, str]:
        return who(principal)

    @app.get("/api/events")
    async def events(principal: Technician) -> dict[str, str]:
        return who(principal)

    @app.post("/api/machines/{machine}/actions")
    async def action(machine: str, request: Request, principal: Operator) -> dict[str, str]:
        audit.record_action(principal, request.state.client_ip, machine, "disable", True, "done")
        return who(principal)

    @app.get("/api/audit")
    async def audit_log(principal: Admin) -> dict[str, str]:
        return who(principal)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, str | None]:
        principal = request.state.principal
        return {"principal": None if principal is None else principal.name}

    @app.get("/boom")
    async def boom(_: Viewer) -> None:
        raise RuntimeError("route failed")

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.state.principal.name)
        await websocket.close()

    app.state.gate = asyncio.Event()

    @app.get("/api/stream")
    async def stream(_: Viewer) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"data: 1\n\n"
            await app.state.gate.wait()  # set only once the first chunk went out
            yield b"data: 2\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    install_security(app, http, audit, clock=clock)
    return app


@dataclass
class Setup:
    client: httpx.AsyncClient
    app: FastAPI
    audit: AuditLog
    clock: Clock
    wall: Wall

    def from_address(self, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 5555))
        return httpx.AsyncClient(transport=transport, base_url="http://agent")

    async def entries(self) -> list[dict[str, object]]:
        await self.audit.flush()
        return [entry.model_dump() for entry in await self.audit.query(limit=1000)]


@asynccontextmanager
async def running(
    directory: Path, agent_config: AgentConfig, *, address: str = CLIENT
) -> AsyncIterator[Setup]:
    clock, wall = Clock(), Wall()
    audit = AuditLog(directory / "audit.sqlite", wall=wall)
    await audit.open()
    app = make_app(agent_config.http, audit, clock)
    transport = httpx.ASGITransport(app=app, client=(address, 5555), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
            yield Setup(client=client, app=app, audit=audit, clock=clock, wall=wall)
    finally:
        await audit.close()
