"""Remote actions over real HTTP reach simulated machines through the poller's SAS session."""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from .broker import wait_for
from .floor import running, with_http

pytestmark = pytest.mark.integration

QUIET = """
seed = 3
[defaults]
games_per_minute = 2.0
"""
TOKEN = "operator-token-for-the-actions-test-0123456789"


OPERATOR = {"name": "ops", "role": "operator", "sha256": hashlib.sha256(TOKEN.encode()).hexdigest()}
with_operator = with_http(tokens=[OPERATOR])


def play_enabled(model: Any) -> bool:
    return bool(model.enabled)


def test_actions_reach_the_machine(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, 2, QUIET, configure=with_operator) as floor:
            agent = floor.agent
            await wait_for(lambda: agent.http_url is not None, 20, "the HTTP server")
            await wait_for(
                lambda: all(s.online for p in agent.pollers for s in p.stats().values()),
                30,
                "machines online",
            )
            model = floor.simulator.egms[0].model
            machine = floor.simulator.egms[0].machine_id
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(base_url=str(agent.http_url), headers=headers) as http:

                async def act(action: str, **extra: Any) -> dict[str, Any]:
                    body = {"action": action, **extra}
                    response = await http.post(
                        f"/api/machines/{machine}/actions", json=body, timeout=30
                    )
                    assert response.status_code == 200, response.text
                    result: dict[str, Any] = response.json()
                    assert result["ok"], result
                    return result

                await act("disable")
                assert play_enabled(model) is False
                await act("enable")
                assert play_enabled(model) is True
                moment = datetime.now(UTC) + timedelta(hours=3)
                await act("setTime", time=moment.isoformat())
                await act("readMeters")
                detail = await http.get(f"/api/machines/{machine}")
                assert detail.status_code == 200
                assert detail.json()["meters"]
                audit = await http.get("/api/audit", params={"kind": "action"})
                assert audit.status_code == 403  # an operator may act, not read the audit log

    asyncio.run(scenario())


def test_stream_sends_status_and_live_events_over_http(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, 2, QUIET, configure=with_operator) as floor:
            agent = floor.agent
            await wait_for(lambda: agent.http_url is not None, 20, "the HTTP server")
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with (
                httpx.AsyncClient(base_url=str(agent.http_url), headers=headers) as http,
                http.stream("GET", "/api/stream", timeout=30) as response,
            ):
                assert response.headers["content-type"].startswith("text/event-stream")
                kinds: list[str] = []
                events: list[dict[str, Any]] = []
                lines = response.aiter_lines()
                while len(events) < 3 or kinds.count("status") < 2:
                    line = await anext(lines)
                    if line.startswith("event: "):
                        kinds.append(line.removeprefix("event: "))
                    elif line.startswith("data: ") and kinds[-1] == "event":
                        events.append(json.loads(line.removeprefix("data: ")))
                assert kinds[0] == "status"
                seqs = [e["seq"] for e in events]
                assert seqs == sorted(seqs)
                assert {e["event"] for e in events} & {"online", "machineIdentified", "metersRead"}

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_https_when_a_certificate_is_configured(tmp_path: Path) -> None:
    """With tls_cert/tls_key the same server speaks only TLS, with that certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )

    with_tls = with_http(tokens=[OPERATOR], tls_cert=str(cert), tls_key=str(key))

    async def scenario() -> None:
        async with running(tmp_path / "floor", 1, QUIET, configure=with_tls) as floor:
            agent = floor.agent
            await wait_for(lambda: agent.http_url is not None, 20, "the HTTP server")
            url = str(agent.http_url)
            assert url.startswith("https://127.0.0.1:")
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=cert)) as tls:
                response = await tls.get(f"{url}api/status", headers=headers)
                assert response.status_code == 200
                assert response.json()["agent_id"] == "demo"
            async with httpx.AsyncClient() as untrusting:
                with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await untrusting.get(f"{url}healthz")
            plain = url.replace("https://", "http://")
            async with httpx.AsyncClient() as cleartext:
                with pytest.raises(httpx.HTTPError):
                    await cleartext.get(f"{plain}healthz")

    asyncio.run(scenario())
