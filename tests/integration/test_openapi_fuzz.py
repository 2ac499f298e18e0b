"""schemathesis against the live agent's OpenAPI: whatever it sends, no 5xx.

A simulated floor and the agent run in a background thread (their own event
loop) with the HTTP server on a free port; schemathesis generates requests
from ``/openapi.json`` for every operation (the endless ``/api/stream``
excepted) and sends them with an admin token, so every route is reached.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err

from .floor import running, with_http

pytestmark = pytest.mark.integration

TOKEN = "admin-token-for-the-fuzz-test-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SCENARIO = """
seed = 9
[defaults]
games_per_minute = 6.0
bills_per_hour = 60.0
"""


FUZZER = {"name": "fuzz", "role": "admin", "sha256": hashlib.sha256(TOKEN.encode()).hexdigest()}
# every request comes from one address: the rate limit would answer 429 to most of them
with_fuzzer = with_http(tokens=[FUZZER], rate_limit_per_s=10000.0, rate_burst=10000)


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("fuzz")
    url: list[str] = []
    ready, stop = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    async def main() -> None:
        async with running(directory, 3, SCENARIO, configure=with_fuzzer) as floor:
            while floor.agent.http_url is None:
                await asyncio.sleep(0.05)
            url.append(floor.agent.http_url)
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.1)

    def thread() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # reported by the fixture
            failure.append(exc)
            ready.set()

    worker = threading.Thread(target=thread, daemon=True)
    worker.start()
    assert ready.wait(60), "the agent did not start"
    if failure:
        raise failure[0]
    yield url[0]
    stop.set()
    worker.join(60)


def test_no_request_gets_a_server_error(live_url: str) -> None:
    """Every operation, fuzzed from the schema; a 5xx anywhere fails with the case that did it."""
    schema = schemathesis.openapi.from_url(f"{live_url}openapi.json", headers=AUTH)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation the schema cannot describe: {result.err()}")
            continue
        operation = result.ok()
        if operation.path == "/api/stream":  # endless by design
            continue
        operations += 1

        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=AUTH, checks=[not_a_server_error], timeout=30)

        try:
            fuzz()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 9
    assert not failures, "\n\n".join(failures)


def test_the_schema_lists_every_route(live_url: str) -> None:
    paths = set(httpx.get(f"{live_url}openapi.json", timeout=10).json()["paths"])
    assert {
        "/api/status",
        "/api/machines",
        "/api/machines/{machine_id}",
        "/api/machines/{machine_id}/actions",
        "/api/events",
        "/api/history",
        "/api/stream",
        "/api/audit",
        "/healthz",
    } <= paths
