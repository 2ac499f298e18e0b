"""The middleware end to end: roles, credentials, allow-list, rate limit, audit, streams."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from starlette.types import Message

from agent.config import ConfigError
from agent.http.security import AuditLog, SecurityMiddleware, install_security
from agent.http.security.guard import Guard

from .security_harness import (
    CLIENT,
    JWT_SECRET,
    TOKENS,
    Setup,
    Viewer,
    bearer,
    config,
    make_app,
    running,
)

Scenario = Callable[[Setup], Awaitable[None]]


def run(tmp_path: Path, http: str, scenario: Scenario, **options: Any) -> None:
    agent_config = config(http, **options)

    async def main() -> None:
        async with running(tmp_path, agent_config) as setup:
            await scenario(setup)

    asyncio.run(main())


def jwt_http(extra: str = "") -> str:
    return f'[http.jwt]\nsecret = "{JWT_SECRET}"\nalgorithms = ["HS256"]\n{extra}'


def b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def make_jwt(claims: dict[str, Any], key: Any = JWT_SECRET, algorithm: str = "HS256") -> str:
    payload = {"sub": "alice", "role": "operator", "exp": int(time.time()) + 600} | claims
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm)


# --- tokens and roles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("viewer", {"/api/status"}),
        ("technician", {"/api/status", "/api/events"}),
        ("operator", {"/api/status", "/api/events", "/api/machines/m1/actions"}),
        ("admin", {"/api/status", "/api/events", "/api/machines/m1/actions", "/api/audit"}),
    ],
)
def test_each_role_reaches_its_routes_and_no_more(
    tmp_path: Path, role: str, allowed: set[str]
) -> None:
    routes = [
        ("GET", "/api/status", "viewer"),
        ("GET", "/api/events", "technician"),
        ("POST", "/api/machines/m1/actions", "operator"),
        ("GET", "/api/audit", "admin"),
    ]

    async def scenario(s: Setup) -> None:
        for method, path, needed in routes:
            response = await s.client.request(method, path, headers=bearer(role))
            if path in allowed:
                assert response.status_code == 200, path
                assert response.json() == {"name": f"{role}-1", "role": role, "method": "token"}
            else:
                assert response.status_code == 403, path
                assert response.json() == {
                    "detail": f"this needs the {needed} role; you are {role}"
                }

    run(tmp_path, "", scenario)


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        ("Bearer not-a-configured-token", "the token is not valid"),
        (f"Bearer {TOKENS['admin']}x", "the token is not valid"),
        ("Bearer a.b.c", "the token is not valid"),  # JWT-shaped, but no [http.jwt]
        ("Basic dXNlcjpwYXNz", "only Bearer credentials are accepted"),
        ("Bearer", "malformed Authorization header"),
        ("Bearer two words", "malformed Authorization header"),
    ],
)
def test_a_bad_credential_is_401_everywhere(
    tmp_path: Path, authorization: str, detail: str
) -> None:
    async def scenario(s: Setup) -> None:
        for path in ("/api/status", "/healthz"):
            response = await s.client.get(path, headers={"Authorization": authorization})
            assert response.status_code == 401
            assert response.json() == {"detail": detail}
            assert response.headers["www-authenticate"].startswith('Bearer realm="floor-agent"')

    run(tmp_path, "", scenario)


def test_the_bearer_scheme_is_case_insensitive(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        headers = {"Authorization": f"bearer {TOKENS['viewer']}"}
        response = await s.client.get("/api/status", headers=headers)
        assert response.json()["name"] == "viewer-1"

    run(tmp_path, "", scenario)


def test_anonymous_viewer_by_default(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        response = await s.client.get("/api/status")
        assert response.json() == {"name": "anonymous", "role": "viewer", "method": "anonymous"}
        response = await s.client.get("/api/events")
        assert response.status_code == 403
        assert response.json()["detail"] == "this needs the technician role; you are viewer"

    run(tmp_path, 'allow = ["0.0.0.0/0"]', scenario)


def test_anonymous_none_needs_a_credential_except_on_healthz(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        response = await s.client.get("/api/status")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="floor-agent"'
        assert "authentication required" in response.json()["detail"]
        response = await s.client.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"principal": None})
        response = await s.client.get("/healthz", headers=bearer("viewer"))
        assert response.json() == {"principal": "viewer-1"}
        assert (await s.client.get("/api/status", headers=bearer("viewer"))).status_code == 200

    run(tmp_path, 'allow = ["10.0.0.0/8"]\nanonymous_role = "none"', scenario)


def test_anonymous_role_can_be_higher(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        assert (await s.client.get("/api/events")).status_code == 200
        assert (await s.client.get("/api/audit")).status_code == 403

    run(tmp_path, 'allow = ["10.0.0.0/8"]\nanonymous_role = "technician"', scenario)


def test_require_without_the_middleware_is_401() -> None:
    app = FastAPI()

    @app.get("/x")
    async def x(_: Viewer) -> None:
        return None

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            response = await client.get("/x")
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == 'Bearer realm="floor-agent"'

    asyncio.run(main())


# --- JWT ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "status", "expected"),
    [
        ({}, 200, {"name": "alice", "role": "operator", "method": "jwt"}),
        ({"role": ["viewer", "admin", "x"]}, 200, {"name": "alice", "role": "admin"}),
        ({"exp": int(time.time()) - 3600}, 401, "the token has expired"),
        ({"exp": None}, 401, "the token has no 'exp' claim"),
        ({"role": None}, 401, "the token has no 'role' claim"),
        ({"role": "root"}, 401, "the token's 'role' claim names no role"),
        ({"role": ["root"]}, 401, "the token's 'role' claim names no role"),
        ({"role": "Operator"}, 401, "the token's 'role' claim names no role"),
        ({"sub": None}, 401, "the token has no 'sub' claim"),
        ({"nbf": int(time.time()) + 3600}, 401, "the token is not valid yet"),
    ],
)
def test_jwt_claims(tmp_path: Path, claims: dict[str, Any], status: int, expected: Any) -> None:
    async def scenario(s: Setup) -> None:
        headers = {"Authorization": f"Bearer {make_jwt(claims)}"}
        response = await s.client.post("/api/machines/m1/actions", headers=headers)
        if status == 200 and expected["role"] == "operator":
            assert response.json() == expected
        elif status == 200:
            response = await s.client.get("/api/audit", headers=headers)
            assert response.status_code == 200
            assert response.json()["role"] == "admin"
        else:
            assert response.status_code == 401
            assert response.json()["detail"].startswith(expected)
            assert response.headers["www-authenticate"] == (
                'Bearer realm="floor-agent", error="invalid_token"'
            )

    run(tmp_path, jwt_http(), scenario)


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (lambda: make_jwt({}, key="another-secret-of-enough-length-0123456789"), "signature"),
        (lambda: make_jwt({}, key=JWT_SECRET + "x"), "signature"),
        (lambda: make_jwt({})[:-4] + "AAAA", "signature"),
        (lambda: make_jwt({}, key=JWT_SECRET * 2, algorithm="HS512"), "algorithm"),
        (lambda: f"{b64({'alg': 'none'})}.{b64({'sub': 'a', 'role': 'admin'})}.", "algo"),
        (lambda: "abc.def.ghi", "not a valid JWT"),
    ],
)
def test_jwt_bad_signatures_and_algorithms(
    tmp_path: Path, token: Callable[[], str], detail: str
) -> None:
    async def scenario(s: Setup) -> None:
        response = await s.client.get("/api/status", headers={"Authorization": f"Bearer {token()}"})
        assert response.status_code == 401
        assert detail in response.json()["detail"]

    run(tmp_path, jwt_http(), scenario)


def test_jwt_issuer_audience_and_claim_names(tmp_path: Path) -> None:
    extra = 'issuer = "https://idp"\naudience = "floor"\nrole_claim = "grp"\nname_claim = "email"\n'

    async def scenario(s: Setup) -> None:
        good: dict[str, Any] = {
            "iss": "https://idp",
            "aud": "floor",
            "grp": "viewer",
            "email": "b@casino",
        }
        cases = [
            (good, 200, "b@casino"),
            (good | {"iss": "https://other"}, 401, "issuer"),
            (good | {"iss": None}, 401, "no 'iss' claim"),
            (good | {"aud": "elsewhere"}, 401, "audience"),
            (good | {"aud": None}, 401, "no 'aud' claim"),
            (good | {"grp": None}, 401, "no 'grp' claim"),
        ]
        for claims, status, expected in cases:
            headers = {"Authorization": f"Bearer {make_jwt(claims | {'role': None})}"}
            response = await s.client.get("/api/status", headers=headers)
            assert response.status_code == status, claims
            body = response.json()
            assert expected in (body.get("name") if status == 200 else body["detail"])

    run(tmp_path, jwt_http(extra), scenario)


def test_jwt_public_key(tmp_path: Path) -> None:
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_file = tmp_path / "jwt.pem"
    key_file.write_bytes(public_pem)
    http = f'[http.jwt]\npublic_key_file = "{key_file}"\nalgorithms = ["RS256", "PS256"]\n'

    async def scenario(s: Setup) -> None:
        for algorithm in ("RS256", "PS256"):
            token = make_jwt({}, key=private, algorithm=algorithm)
            response = await s.client.get(
                "/api/status", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.json()["name"] == "alice"
        # the classic confusion: an HMAC made with the public key as its secret
        header = b64({"alg": "HS256", "typ": "JWT"})
        payload = b64({"sub": "eve", "role": "admin", "exp": 2**40})
        mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        token = f"{header}.{payload}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
        response = await s.client.get("/api/status", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401

    run(tmp_path, http, scenario)


def test_unreadable_jwt_key_at_start_is_a_config_error(tmp_path: Path) -> None:
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
    key_file = tmp_path / "jwt.pem"
    key_file.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    agent_config = config(f'[http.jwt]\npublic_key_file = "{key_file}"\nalgorithms = ["ES256"]\n')
    key_file.unlink()
    with pytest.raises(ConfigError, match=r"http\.jwt\.public_key_file: cannot read"):
        install_security(FastAPI(), agent_config.http, AuditLog(tmp_path / "a.sqlite"))


# --- allow-list, proxies, rate limit ------------------------------------------------------------


@pytest.mark.parametrize(
    ("allow", "address", "status"),
    [
        ("", "127.0.0.1", 200),
        ("", "127.200.0.9", 200),
        ("", "::1", 200),
        ("", "::ffff:127.0.0.1", 200),  # a dual-stack socket's IPv4 peer
        ("", CLIENT, 403),
        ("", "::2", 403),
        ("", "fe80::1", 403),
        ('allow = ["10.1.0.0/16"]', CLIENT, 200),
        ('allow = ["10.1.0.0/16"]', "10.2.0.1", 403),
        ('allow = ["10.1.0.0/16"]', "127.0.0.1", 403),
        ('allow = ["2001:db8::/32"]', "2001:db8:1::5", 200),
        ('allow = ["2001:db8::/32"]', "2001:db9::5", 403),
        ('allow = ["0.0.0.0/0", "::/0"]', "2001:db9::5", 200),
        ('allow = ["0.0.0.0/0", "::/0"]', "not-an-address", 403),
    ],
)
def test_allow_list(tmp_path: Path, allow: str, address: str, status: int) -> None:
    async def scenario(s: Setup) -> None:
        async with s.from_address(address) as client:
            for path in ("/api/status", "/healthz"):
                response = await client.get(path)
                assert response.status_code == status
                if status == 403:
                    assert response.json()["detail"] in (
                        f"{address} is not in the allow-list",
                        "cannot tell the client's address",
                    )

    run(tmp_path, allow, scenario, default_allow=True)


def test_forwarded_for_only_from_trusted_proxies(tmp_path: Path) -> None:
    http = 'allow = ["192.168.5.0/24"]\ntrusted_proxies = ["10.1.2.3/32"]'

    async def scenario(s: Setup) -> None:
        xff = {"X-Forwarded-For": "6.6.6.6, 192.168.5.7"}
        assert (await s.client.get("/api/status", headers=xff)).status_code == 200
        bad = await s.client.get("/api/status", headers={"X-Forwarded-For": "nonsense"})
        assert bad.json() == {"detail": "cannot tell the client's address"}
        async with s.from_address("10.9.9.9") as untrusted:
            response = await untrusted.get(
                "/api/status", headers={"X-Forwarded-For": "192.168.5.7"}
            )
            assert response.json() == {"detail": "10.9.9.9 is not in the allow-list"}
        entries = await s.entries()
        assert [e["client_ip"] for e in entries] == ["192.168.5.7", None, "10.9.9.9"]

    run(tmp_path, http, scenario)


def test_rate_limit_then_recovery(tmp_path: Path) -> None:
    http = 'allow = ["0.0.0.0/0", "::/0"]\nrate_limit_per_s = 0.5\nrate_burst = 3'

    async def scenario(s: Setup) -> None:
        statuses = [(await s.client.get("/api/status")).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        limited = await s.client.get("/healthz")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "2"
        assert limited.json() == {"detail": "too many requests"}
        async with s.from_address("10.9.9.9") as other:  # another client has its own bucket
            assert (await other.get("/api/status")).status_code == 200
        s.clock.now += 1.0
        assert (await s.client.get("/api/status")).status_code == 429
        s.clock.now += 1.0
        assert (await s.client.get("/api/status")).status_code == 200
        assert (await s.client.get("/api/status")).status_code == 429
        s.clock.now += 3600
        statuses = [(await s.client.get("/api/status")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]

    run(tmp_path, http, scenario)


def test_rate_limit_counts_an_ipv6_slash_64_as_one_client(tmp_path: Path) -> None:
    http = 'allow = ["::/0"]\nrate_limit_per_s = 1\nrate_burst = 1'

    async def scenario(s: Setup) -> None:
        async with s.from_address("2001:db8::1") as one, s.from_address("2001:db8::2") as two:
            assert (await one.get("/api/status")).status_code == 200
            assert (await two.get("/api/status")).status_code == 429
        async with s.from_address("2001:db8:0:1::1") as three:
            assert (await three.get("/api/status")).status_code == 200

    run(tmp_path, http, scenario)


# --- the audit log --------------------------------------------------------------------------------


def test_every_call_is_audited_with_its_outcome(tmp_path: Path) -> None:
    http = 'allow = ["10.1.0.0/16"]\nrate_limit_per_s = 1\nrate_burst = 5'

    async def scenario(s: Setup) -> None:
        query = "token=abc123&machine=m1&api_key=k9&X-Password=p%40ss&limit=5"
        await s.client.get(f"/api/status?{query}", headers=bearer("technician"))
        await s.client.post("/api/machines/m1/actions", headers=bearer("operator"))
        await s.client.get("/api/events")  # anonymous viewer: 403 by the route
        await s.client.get("/api/status", headers={"Authorization": "Bearer wrong"})
        async with s.from_address("10.2.0.1") as outsider:
            await outsider.get("/api/status?password=hunter2")
        await s.client.get("/boom")
        await s.client.get("/api/status")
        entries = await s.entries()
        rows = [
            (e["kind"], e["principal"], e["role"], e["method"], e["path"], e["status"], e["result"])
            for e in entries
        ]
        assert rows == [
            ("request", "technician-1", "technician", "token", "/api/status", 200, "allowed"),
            ("action", "operator-1", "operator", "token", None, None, "ok"),  # during the call
            (
                "request",
                "operator-1",
                "operator",
                "token",
                "/api/machines/m1/actions",
                200,
                "allowed",
            ),
            ("request", "anonymous", "viewer", "anonymous", "/api/events", 403, "denied"),
            ("request", None, None, "token", "/api/status", 401, "denied"),
            ("request", None, None, None, "/api/status", 403, "denied"),
            ("request", "anonymous", "viewer", "anonymous", "/boom", 500, "allowed"),
            ("request", None, None, None, "/api/status", 429, "denied"),
        ]
        first = entries[0]
        assert first["query"] == "token=***&machine=m1&api_key=***&X-Password=***&limit=5"
        assert first["client_ip"] == CLIENT
        assert first["http_method"] == "GET"
        assert first["at"] == s.wall.now
        assert isinstance(first["duration_ms"], float)
        assert entries[1]["machine"] == "m1"
        assert (entries[1]["action"], entries[1]["detail"]) == ("disable", "done")
        assert entries[1]["client_ip"] == CLIENT
        assert entries[4]["detail"] == "the token is not valid"
        assert entries[5]["query"] == "password=***"
        assert entries[5]["client_ip"] == "10.2.0.1"
        assert entries[5]["detail"] == "10.2.0.1 is not in the allow-list"
        assert entries[7]["detail"] == "too many requests"
        ids = [e["id"] for e in entries]
        assert ids == list(range(1, len(ids) + 1))

    run(tmp_path, http, scenario)


def test_secrets_appear_neither_in_logs_nor_in_the_audit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FA_JWT_SECRET", JWT_SECRET)
    http = 'allow = ["10.0.0.0/8"]\n[http.jwt]\nsecret = { env = "FA_JWT_SECRET" }\n'
    good_jwt = make_jwt({})
    expired_jwt = make_jwt({"exp": 1})
    secrets = [*TOKENS.values(), JWT_SECRET, good_jwt, expired_jwt, "Zm9vYmFy"]
    caplog.set_level(logging.DEBUG)

    async def scenario(s: Setup) -> None:
        for role in TOKENS:
            await s.client.get(f"/api/status?token={TOKENS[role]}", headers=bearer(role))
            await s.client.get("/api/status", headers={"Authorization": f"Bearer {TOKENS[role]}x"})
        for token in (good_jwt, expired_jwt, good_jwt[:-3]):
            await s.client.get(
                f"/api/status?jwt={token}", headers={"Authorization": f"Bearer {token}"}
            )
        await s.client.get("/api/status", headers={"Authorization": "Basic Zm9vYmFy"})
        text = json.dumps(await s.entries(), default=str)
        for secret in secrets:
            assert secret not in text
        assert len(json.loads(text)) == 12

    agent_config = config(http)
    assert JWT_SECRET not in repr(agent_config)

    async def main() -> None:
        async with running(tmp_path, agent_config) as setup:
            await scenario(setup)

    asyncio.run(main())
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("agent"))
    assert "refused GET /api/status" in ours  # something was logged, and none of it is secret
    for secret in secrets:
        assert secret not in ours


# --- streams and other scopes ---------------------------------------------------------------------


async def call(app: Any, scope: dict[str, Any], inbox: list[Message]) -> list[Message]:
    """Drive ``app`` by hand; returns what it sent. Sets ``app.state.gate`` after a body."""
    sent: list[Message] = []

    async def receive() -> Message:
        if inbox:
            return inbox.pop(0)
        await asyncio.Event().wait()  # nothing more: wait like a client that stays
        raise AssertionError

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            app.state.gate.set()

    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    return sent


def http_scope(path: str, address: str = CLIENT) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"agent")],
        "client": (address, 5555),
        "server": ("127.0.0.1", 8080),
    }


def test_a_stream_passes_through_unbuffered(tmp_path: Path) -> None:
    """The route sends its second event only after the first reached the client."""

    async def main() -> None:
        audit = AuditLog(tmp_path / "audit.sqlite")
        await audit.open()
        app = make_app(config('allow = ["10.0.0.0/8"]').http, audit, lambda: 0.0)
        inbox: list[Message] = [{"type": "http.request", "body": b"", "more_body": False}]
        sent = await call(app, http_scope("/api/stream"), inbox)
        bodies = [m.get("body") for m in sent if m["type"] == "http.response.body"]
        assert bodies[:2] == [b"data: 1\n\n", b"data: 2\n\n"]
        assert sent[0]["status"] == 200
        await audit.flush()
        (entry,) = await audit.query()
        assert (entry.path, entry.status) == ("/api/stream", 200)
        await audit.close()

    asyncio.run(main())


def test_websockets_are_guarded_too(tmp_path: Path) -> None:
    async def main() -> None:
        audit = AuditLog(tmp_path / "audit.sqlite")
        await audit.open()
        app = make_app(config().http, audit, lambda: 0.0)
        scope = http_scope("/ws") | {"type": "websocket", "scheme": "ws", "subprotocols": []}
        del scope["method"]
        sent = await call(app, scope, [{"type": "websocket.connect"}])
        assert [m["type"] for m in sent] == [
            "websocket.accept",
            "websocket.send",
            "websocket.close",
        ]
        assert sent[1]["text"] == "anonymous"
        outsider = scope | {"client": ("192.0.2.1", 1)}
        sent = await call(app, outsider, [{"type": "websocket.connect"}])
        reason = "192.0.2.1 is not in the allow-list"
        assert sent == [{"type": "websocket.close", "code": 1008, "reason": reason}]
        await audit.flush()
        entries = [(e.http_method, e.path, e.status, e.result) for e in await audit.query()]
        assert entries == [("WS", "/ws", 101, "allowed"), ("WS", "/ws", 403, "denied")]
        await audit.close()

    asyncio.run(main())


def test_other_scopes_pass_and_a_silent_route_is_still_audited(tmp_path: Path) -> None:
    seen: list[str] = []

    async def bare(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])  # answers nothing: a client that went away, say

    async def main() -> None:
        audit = AuditLog(tmp_path / "audit.sqlite")
        await audit.open()
        guard = Guard.from_config(config().http)
        middleware = SecurityMiddleware(bare, guard=guard, audit=audit, clock=lambda: 0.0)
        await middleware({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
        assert await call(middleware, http_scope("/quiet"), []) == []
        assert seen == ["lifespan", "http"]
        await audit.flush()
        (entry,) = await audit.query()
        assert (entry.path, entry.status, entry.result) == ("/quiet", None, "allowed")
        await audit.close()

    asyncio.run(main())
