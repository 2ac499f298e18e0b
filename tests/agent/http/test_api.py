"""The REST API over ASGI: the role x route matrix, look-back pagination, filters, 4xx messages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from agent.http.api import STREAM_RECENT, _sse
from agent.http.view import FloorView

from .harness import MACHINES, ROLES, bearer, running_api, sample_events, tokens_config

# (method, path, body, the lowest role that may call it); None: no credential needed
ROUTES: list[tuple[str, str, dict[str, Any] | None, str | None]] = [
    ("GET", "/", None, None),  # the page's shell: it asks for a token itself
    ("GET", "/static/app.js", None, None),
    ("GET", "/api/status", None, "viewer"),
    ("GET", "/api/machines", None, "viewer"),
    ("GET", "/api/history", None, "viewer"),
    ("GET", "/metrics", None, "viewer"),
    ("GET", "/openapi.json", None, "viewer"),
    ("GET", "/docs", None, "viewer"),
    ("GET", "/api/machines/M1", None, "technician"),
    ("GET", "/api/events", None, "technician"),
    ("POST", "/api/machines/M1/actions", {"action": "enable"}, "operator"),
    ("GET", "/api/audit", None, "admin"),
    ("GET", "/healthz", None, None),
]
RANK = {role: n for n, role in enumerate(ROLES)}


def allowed(needed: str | None, role: str | None) -> bool:
    if needed is None:
        return True
    return role is not None and RANK[role] >= RANK[needed]


def test_role_route_matrix(tmp_path: Path) -> None:
    async def scenario() -> list[str]:
        problems = []
        async with running_api(tmp_path, http=tokens_config(), events=5) as api:
            for method, path, body, needed in ROUTES:
                for role in (None, *ROLES):
                    headers = {} if role is None else bearer(role)
                    response = await api.client.request(method, path, json=body, headers=headers)
                    expected_ok = allowed(needed, role)
                    denied = response.status_code in (401, 403)
                    if expected_ok == denied:
                        problems.append(f"{method} {path} as {role}: {response.status_code}")
                    if not expected_ok:
                        assert response.status_code == (401 if role is None else 403)
                        assert "detail" in response.json()
        return problems

    assert asyncio.run(scenario()) == []


def test_events_look_back_pages_through_everything_in_order(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_api(tmp_path, http=tokens_config(), events=250) as api:
            seen: list[int] = []
            after = 0
            pages = 0
            while True:
                response = await api.client.get(
                    "/api/events",
                    params={"after_seq": after, "limit": 100},
                    headers=bearer("technician"),
                )
                assert response.status_code == 200, response.text
                page = response.json()
                seen += [item["seq"] for item in page["items"]]
                pages += 1
                if page["next_after_seq"] is None:
                    break
                after = page["next_after_seq"]
            assert pages == 3
            assert seen == list(range(1, 251))

    asyncio.run(scenario())


def test_events_filters_combine(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_api(tmp_path, http=tokens_config(), events=60) as api:
            params = {
                "machine": "M1",
                "channel": "cash",
                "since": "2026-11-20T12:10:00Z",
                "until": "2026-11-20T12:40:00Z",
            }
            response = await api.client.get(
                "/api/events", params=params, headers=bearer("technician")
            )
            assert response.status_code == 200, response.text
            items = response.json()["items"]
            assert items
            for item in items:
                assert item["machine"] == "M1"
                assert item["channel"] == "cash"
                assert "2026-11-20T12:10:00.000Z" <= item["timestamp"] < "2026-11-20T12:40:00Z"
            # n % 3 == 0 (M1) and n even (cash), minutes 10..39: n = 12, 18, 24, 30, 36
            assert [item["seq"] for item in items] == [13, 19, 25, 31, 37]
            by_event = await api.client.get(
                "/api/events", params={"event": "doorOpened"}, headers=bearer("technician")
            )
            assert {item["event"] for item in by_event.json()["items"]} == {"doorOpened"}

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"limit": 0}, 422, "greater than or equal to 1"),
        ({"limit": 5000}, 422, "less than or equal to 1000"),
        ({"after_seq": -1}, 422, "greater than or equal to 0"),
        ({"channel": "money"}, 422, "'game', 'cash', 'entries', 'system' or 'player'"),
        ({"since": "yesterday"}, 422, "datetime"),
        ({"machine": "Nope"}, 400, "unknown machine 'Nope'"),
        ({"event": "moneyPrinted"}, 400, "unknown event name 'moneyPrinted'"),
        ({"since": "2026-11-20T12:00:00"}, 400, "since needs a time zone"),
        (
            {"since": "2026-11-21T00:00:00Z", "until": "2026-11-20T00:00:00Z"},
            400,
            "since must be before until",
        ),
    ],
)
def test_bad_event_parameters_get_a_clear_4xx(
    tmp_path: Path, params: dict[str, Any], status: int, message: str
) -> None:
    async def scenario() -> None:
        async with running_api(tmp_path, http=tokens_config(), events=3) as api:
            response = await api.client.get(
                "/api/events", params=params, headers=bearer("technician")
            )
            assert response.status_code == status, response.text
            assert message in response.text

    asyncio.run(scenario())


def test_machines_and_detail(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_api(tmp_path, http=tokens_config(), events=6) as api:
            listing = (await api.client.get("/api/machines", headers=bearer("viewer"))).json()
            assert [m["id"] for m in listing] == list(MACHINES)
            assert not any(m["online"] for m in listing)  # the pollers never ran
            detail = await api.client.get("/api/machines/M2", headers=bearer("technician"))
            assert detail.status_code == 200
            assert detail.json()["last_event"] == "billAccepted"  # n = 4, the last of M2
            missing = await api.client.get("/api/machines/M9", headers=bearer("technician"))
            assert missing.status_code == 404
            assert "no machine 'M9'" in missing.json()["detail"]

    asyncio.run(scenario())


def test_an_action_on_an_offline_machine_is_refused_and_audited(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_api(tmp_path, http=tokens_config(), events=1) as api:
            response = await api.client.post(
                "/api/machines/M1/actions", json={"action": "disable"}, headers=bearer("operator")
            )
            assert response.status_code == 409
            assert response.json()["detail"] == "machine M1 is offline: it cannot take disable now"
            bad = await api.client.post(
                "/api/machines/M1/actions", json={"action": "explode"}, headers=bearer("operator")
            )
            assert bad.status_code == 422
            await asyncio.sleep(0.3)
            entries = await api.audit.query(kind="action")
            assert [(e.machine, e.action, e.principal) for e in entries] == [
                ("M1", "disable", "operator-user")
            ]

    asyncio.run(scenario())


def test_healthz_reports_reasons(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_api(tmp_path, http=tokens_config(), events=1) as api:
            response = await api.client.get("/healthz")
            assert response.status_code == 503  # the pollers never opened their port
            body = response.json()
            assert body["status"] == "failing"
            assert any("line line-1: port not open" in r for r in body["reasons"])

    asyncio.run(scenario())


def test_docs_work_offline(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_api(tmp_path, events=1) as api:  # anonymous viewer (the default)
            page = await api.client.get("/docs")
            assert page.status_code == 200
            assert "cdn" not in page.text.lower()
            assert "/docs/assets/swagger-ui-bundle.js" in page.text
            script = await api.client.get("/docs/assets/swagger-ui-bundle.js")
            assert script.status_code == 200
            assert len(script.content) > 100_000

    asyncio.run(scenario())


def test_a_new_stream_starts_with_the_most_recent_events_then_sends_each_once(
    tmp_path: Path,
) -> None:
    async def scenario() -> list[tuple[str, dict[str, Any]]]:
        async with running_api(tmp_path, events=80) as api:
            view = FloorView(api.agent, api.feed)
            stream = _sse(view, api.feed)
            chunks = [await anext(stream) for _ in range(1 + STREAM_RECENT)]
            later = sample_events(2)
            await api.agent.store.append(later)
            chunks += [await anext(stream), await anext(stream)]
            await stream.aclose()
        out = []
        for chunk in chunks:
            head, data = chunk.decode().split("\n", 2)[:2]
            out.append((head.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
        return out

    messages = asyncio.run(scenario())
    assert messages[0][0] == "status"
    events = [payload for kind, payload in messages[1:] if kind == "event"]
    assert [e["seq"] for e in events] == list(range(80 - STREAM_RECENT + 1, 83))  # once each


def test_a_stream_of_a_new_store_starts_with_what_there_is(tmp_path: Path) -> None:
    async def scenario() -> list[bytes]:
        async with running_api(tmp_path, events=3) as api:
            stream = _sse(FloorView(api.agent, api.feed), api.feed)
            chunks = [await anext(stream) for _ in range(4)]
            await stream.aclose()
        return chunks

    chunks = asyncio.run(scenario())
    assert [c.split(b"\n")[0] for c in chunks] == [b"event: status"] + [b"event: event"] * 3
