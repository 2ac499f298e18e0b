"""``AuditLog``: writing in the background, queries with filters and pages, retention, overflow."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.http.security import AuditLog, AuditRecord, Principal, Role
from agent.http.security.records import MAX_TEXT, clip, redact_query

T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def request(n: int, **fields: Any) -> AuditRecord:
    values: dict[str, Any] = {
        "at": T0 + timedelta(minutes=n),
        "kind": "request",
        "principal": "tech-1" if n % 2 else "anonymous",
        "role": "technician" if n % 2 else "viewer",
        "method": "token" if n % 2 else "anonymous",
        "client_ip": "10.0.0.1",
        "http_method": "GET",
        "path": f"/api/n/{n}",
        "query": "",
        "status": 200,
        "duration_ms": 1.5,
        "result": "allowed",
    }
    return AuditRecord(**(values | fields))


def test_records_are_written_and_queried_with_filters_and_pages(tmp_path: Path) -> None:
    async def main() -> None:
        audit = AuditLog(tmp_path / "sub" / "audit.sqlite", wall=lambda: T0 + timedelta(hours=1))
        await audit.open()
        for n in range(10):
            audit.record(request(n))
        operator = Principal(name="op-1", role=Role.OPERATOR, method="jwt")
        audit.record_action(operator, "10.0.0.2", "Slot-A01", "disable", False, "offline")
        audit.record_action(None, None, "Slot-A02", "enable", True)
        await audit.flush()
        assert audit.written == 12

        every = await audit.query()
        assert [e.id for e in every] == list(range(1, 13))
        assert every[3].at == T0 + timedelta(minutes=3)
        assert every[3].at.tzinfo is not None
        assert every[3].model_dump() | {"at": None} == {
            "id": 4,
            "at": None,
            "kind": "request",
            "principal": "tech-1",
            "role": "technician",
            "method": "token",
            "client_ip": "10.0.0.1",
            "http_method": "GET",
            "path": "/api/n/3",
            "query": "",
            "status": 200,
            "duration_ms": 1.5,
            "action": None,
            "machine": None,
            "result": "allowed",
            "detail": None,
        }
        action = every[10]
        assert (action.kind, action.principal, action.role, action.method) == (
            "action",
            "op-1",
            "operator",
            "jwt",
        )
        assert (action.machine, action.action, action.result, action.detail) == (
            "Slot-A01",
            "disable",
            "failed",
            "offline",
        )
        assert every[11].principal is None
        assert every[11].result == "ok"
        assert every[11].at == T0 + timedelta(hours=1)

        page1 = await audit.query(limit=4)
        page2 = await audit.query(after_id=page1[-1].id, limit=4)
        assert [e.id for e in page1 + page2] == list(range(1, 9))
        assert await audit.query(after_id=12) == []
        assert len(await audit.query(limit=0)) == 1  # clamped to 1-1000
        since = await audit.query(since=T0 + timedelta(minutes=3), until=T0 + timedelta(minutes=6))
        assert [e.path for e in since] == ["/api/n/3", "/api/n/4", "/api/n/5"]
        naive = await audit.query(since=datetime(2030, 5, 1, 12, 8))  # naive: UTC
        assert [e.id for e in naive] == [9, 10, 11, 12]
        mine = await audit.query(principal="tech-1")
        assert [e.path for e in mine] == [f"/api/n/{n}" for n in (1, 3, 5, 7, 9)]
        actions = await audit.query(kind="action")
        assert [e.machine for e in actions] == ["Slot-A01", "Slot-A02"]
        both = await audit.query(kind="request", principal="anonymous", after_id=5, limit=2)
        assert [e.path for e in both] == ["/api/n/6", "/api/n/8"]
        await audit.close()

    asyncio.run(main())


def test_prune_deletes_only_old_entries_and_ids_keep_growing(tmp_path: Path) -> None:
    async def main() -> None:
        audit = AuditLog(tmp_path / "audit.sqlite", retention_days=1)
        await audit.open()
        for n in range(5):
            audit.record(request(0, at=T0 - timedelta(days=2), path=f"/old/{n}"))
        audit.record(request(0, at=T0 - timedelta(hours=23), path="/recent"))
        await audit.flush()
        assert await audit.prune(T0) == 5
        assert [e.path for e in await audit.query()] == ["/recent"]
        assert await audit.prune(T0 + timedelta(days=1)) == 1
        assert await audit.query() == []
        audit.record(request(0))
        await audit.flush()
        assert [e.id for e in await audit.query()] == [7]  # never reused: after_id stays valid
        await audit.close()

    asyncio.run(main())


def test_prune_works_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("agent.http.security.audit.PRUNE_CHUNK", 3)

    async def main() -> None:
        audit = AuditLog(tmp_path / "audit.sqlite", retention_days=1)
        await audit.open()
        for _ in range(10):
            audit.record(request(0, at=T0 - timedelta(days=3)))
        await audit.flush()
        assert await audit.prune(T0) == 10
        await audit.close()

    asyncio.run(main())


def test_a_full_queue_drops_counts_and_warns_without_blocking(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        audit = AuditLog(tmp_path / "audit.sqlite", queue_size=3)
        for n in range(8):  # not open yet: nothing drains the queue
            audit.record(request(n))
        assert audit.dropped == 5
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1  # at most one a minute
        assert "cannot keep up: 1 record(s) dropped so far" in warnings[0].getMessage()
        await audit.open()
        await audit.flush()
        assert [e.path for e in await audit.query()] == ["/api/n/0", "/api/n/1", "/api/n/2"]
        await audit.close()

    asyncio.run(main())


def test_close_flushes_and_later_records_are_dropped(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "audit.sqlite"
        audit = AuditLog(path)
        await audit.open()
        await audit.open()  # idempotent
        for n in range(1200):  # more than one batch
            audit.record(request(n))
        await audit.close()
        await audit.close()  # idempotent
        await audit.flush()  # no thread: returns at once
        audit.record(request(0))
        assert audit.dropped == 1
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM audit").fetchone() == (1200,)
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        reopened = AuditLog(path)
        await reopened.open()
        reopened.record(request(0))
        await reopened.flush()
        assert (await reopened.query(after_id=1199))[-1].id == 1201
        await reopened.close()

    asyncio.run(main())


def test_a_failing_write_is_counted_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        path = tmp_path / "audit.sqlite"
        audit = AuditLog(path)
        await audit.open()
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TABLE audit")
        audit.record(request(0))
        await audit.flush()
        assert (audit.written, audit.failed) == (0, 1)
        assert "cannot write" in caplog.text
        audit.record(request(1))  # the writer carries on
        await audit.flush()
        assert audit.failed == 2
        await audit.close()

    asyncio.run(main())


def test_long_fields_are_clipped(tmp_path: Path) -> None:
    async def main() -> None:
        audit = AuditLog(tmp_path / "audit.sqlite")
        await audit.open()
        audit.record(request(0, path="/" + "p" * 5000, principal="x" * 500, detail="d" * 900))
        await audit.flush()
        (entry,) = await audit.query()
        assert entry.path is not None
        assert len(entry.path) == MAX_TEXT
        assert entry.path.endswith("…")
        assert entry.principal is not None
        assert len(entry.principal) == 200
        assert entry.detail is not None
        assert len(entry.detail) == 500
        await audit.close()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("query", "redacted"),
    [
        ("", ""),
        ("machine=m1&limit=5", "machine=m1&limit=5"),
        ("token=abc", "token=***"),
        ("access_token=abc&x=1", "access_token=***&x=1"),
        ("PASSWORD=pw&Api-Key=k&jwt=a.b.c", "PASSWORD=***&Api-Key=***&jwt=***"),
        (
            "client_secret=s&auth=a&sessionid=s&signature=g",
            "client_secret=***&auth=***&sessionid=***&signature=***",
        ),
        ("%74oken=abc", "%74oken=***"),  # an encoded name is decoded to be judged
        ("token", "token"),  # no value, nothing to hide
        ("a=1&&token=&b", "a=1&&token=***&b"),
    ],
)
def test_redact_query(query: str, redacted: str) -> None:
    assert redact_query(query) == redacted


def test_clip() -> None:
    assert clip(None) is None
    assert clip("abc", 3) == "abc"
    assert clip("abcd", 3) == "ab…"
