"""The status page: ``GET /`` and its three static files under ``/static/``.

The page is plain HTML, JavaScript and CSS shipped inside the package
(``agent/http/static``, found with ``importlib.resources`` so an installed
wheel serves the same files); it has no build step and loads nothing from
outside the agent, so it works on an offline floor network. Everything it
shows comes from ``/api/status``, ``/api/history`` and ``/api/stream``.

Rules: the page and its files carry no data and no secret (the API behind
them is what authentication guards); every response says ``no-cache`` so a
browser revalidates after an upgrade instead of mixing old and new files;
the Content-Security-Policy allows this origin only, which also keeps a
future edit from quietly pulling in a CDN.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_PREFIX = "/static"
HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def static_dir() -> Path:
    """The directory of the page's files, in the source tree or the installed package.

    StaticFiles needs a real directory: from a zipped install this path does
    not exist and mounting fails with a message naming it.
    """
    return Path(str(resources.files(__package__) / "static"))


class _Revalidated(StaticFiles):
    """Static files a browser revalidates each time (the ETag makes that a 304)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def page_router(directory: Path) -> APIRouter:
    router = APIRouter()
    index = (directory / "index.html").read_text(encoding="utf-8")

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def status_page() -> HTMLResponse:
        return HTMLResponse(index, headers=HEADERS)

    return router


def mount_page(app: FastAPI) -> None:
    """Serve the status page at ``/`` and its files under ``/static/``."""
    directory = static_dir()
    app.include_router(page_router(directory))
    app.mount(STATIC_PREFIX, _Revalidated(directory=directory), name="static")
