"""The ASGI app: routes, the status page, metrics and security, for one running agent.

``create_app`` wires what the other modules define; it holds no logic of its
own. Security is installed last so its middleware is the outermost layer:
every request, the rejected ones included, passes the allow-list, the rate
limit and authentication, and is written to the audit log.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from agent import __version__
from agent.runtime import Agent

from .actions import ACTION_TIMEOUT, ActionRunner
from .api import api_router
from .metrics import metrics_router
from .models import Health
from .page import mount_page
from .security import AuditLog, install_security
from .view import FloorView, LiveFeed

SINK_DOWN_S = 60.0
"""A sink disconnected longer than this makes /healthz fail."""


def create_app(
    agent: Agent, feed: LiveFeed, audit: AuditLog, *, action_timeout: float = ACTION_TIMEOUT
) -> FastAPI:
    view = FloorView(agent, feed)
    app = FastAPI(
        title="floor-agent",
        version=__version__,
        summary="Local status and REST API of one floor controller (docs/http.md)",
        docs_url=None,
        redoc_url=None,
    )
    mount_docs(app)
    actions = ActionRunner(agent.pollers, timeout=action_timeout)
    app.include_router(api_router(view, feed, audit, actions))
    app.include_router(health_router(view))
    app.include_router(metrics_router(view))
    mount_page(app)
    install_security(app, agent.config.http, audit)
    return app


def mount_docs(app: FastAPI) -> None:
    """Swagger UI at /docs with its assets served by the agent (no CDN: offline floors)."""
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="floor-agent API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )


def health_router(view: FloorView) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/healthz",
        summary="200 when the agent is healthy, 503 with the reasons otherwise",
        responses={503: {"model": Health, "description": "failing, with the reasons"}},
    )
    async def healthz() -> JSONResponse:
        reasons = health_reasons(view)
        health = Health(status="failing" if reasons else "ok", reasons=reasons)
        return JSONResponse(health.model_dump(), status_code=503 if reasons else 200)

    return router


def health_reasons(view: FloorView) -> list[str]:
    """What keeps the agent from doing its job right now (empty when healthy)."""
    agent = view.agent
    reasons: list[str] = []
    store = agent.store
    if store.full:
        reasons.append(f"store full: {store.last_error}")
    elif not store.healthy:
        reasons.append(f"store failing: {store.last_error}")
    for poller in agent.pollers:
        if not poller.state.connected:
            reasons.append(f"line {poller.state.name}: port not open ({poller.state.last_error})")
    for sink in agent.sinks:
        snap = sink.snapshot()
        age = snap.oldest_unconfirmed_age_s
        if not snap.connected and age is not None and age > SINK_DOWN_S:
            reasons.append(
                f"sink {snap.name}: not connected, {snap.lag_events} events waiting "
                f"({snap.last_error})"
            )
    return reasons
