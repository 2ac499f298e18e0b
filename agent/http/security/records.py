"""What the audit log holds: one ``AuditRecord`` per API call or remote action.

``AuditRecord`` is what the middleware and the action routes hand to
``AuditLog.record`` (a frozen dataclass, cheap to make per request);
``AuditEntry`` is a stored record with its id, the item of the
``/api/audit`` response.

Rules.
- ``kind`` is ``"request"`` (one HTTP call, written by the middleware once
  the response has started, rejected calls included) or ``"action"`` (a
  remote command, written by the route that carried it out).
- For requests ``result`` is the access decision: ``"denied"`` when the
  call was refused by the allow-list, the rate limit or authentication
  (``detail`` says which) or by the route for want of a role (status 401
  or 403), else ``"allowed"`` (the API answered with ``status``). For
  actions it is ``"ok"`` or ``"failed"``, with ``detail`` from the route.
- Nothing secret is ever recorded: the query string passes through
  ``redact_query`` (values of secret-looking parameters become ``***``),
  credentials are never part of a record, and long fields are clipped
  (``clip``) so one call cannot bloat the log.
- Times are UTC; ``duration_ms`` is from the request's arrival to the start
  of its response (a stream's first byte, not its end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field

AuditKind = Literal["request", "action"]
REDACTED = "***"
MAX_TEXT = 2000
_SECRET_PARAM = re.compile(
    r"token|passw|pwd|secret|key|jwt|auth|signature|credential|session|cookie|bearer",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """One call or action to write; see the module rules for the fields' meaning."""

    at: datetime
    kind: AuditKind
    principal: str | None
    role: str | None
    method: str | None
    client_ip: str | None
    http_method: str | None = None
    path: str | None = None
    query: str | None = None
    status: int | None = None
    duration_ms: float | None = None
    action: str | None = None
    machine: str | None = None
    result: str | None = None
    detail: str | None = None


class AuditEntry(BaseModel):
    """One stored audit record (an item of ``GET /api/audit``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(description="increasing; pass the last one seen as after_id to page on")
    at: datetime = Field(description="when, UTC")
    kind: AuditKind = Field(description="request: an API call; action: a remote command")
    principal: str | None = Field(description="who: a token name, a JWT subject, anonymous")
    role: str | None = Field(description="the principal's role: viewer ... admin")
    method: str | None = Field(description="how they authenticated: token, jwt, anonymous")
    client_ip: str | None = Field(description="from where")
    http_method: str | None
    path: str | None
    query: str | None = Field(description="the query string, secret-looking values as ***")
    status: int | None = Field(description="the HTTP status of the response")
    duration_ms: float | None = Field(description="arrival to the start of the response")
    action: str | None = Field(description="the remote command, for kind=action")
    machine: str | None = Field(description="the machine it was sent to, for kind=action")
    result: str | None = Field(description="allowed/denied for requests; ok/failed for actions")
    detail: str | None = Field(description="why a request was denied; an action's outcome")


def redact_query(query: str) -> str:
    """``query`` with the value of every secret-looking parameter replaced by ``***``.

    The string keeps its order and encoding otherwise (it is not re-encoded),
    so the log shows what was sent. A parameter is secret-looking if its
    decoded name contains token, password, secret, key, jwt, auth, ...
    """
    fields = []
    for field in query.split("&"):
        name, equals, _value = field.partition("=")
        secret = equals and _SECRET_PARAM.search(unquote_plus(name))
        fields.append(f"{name}={REDACTED}" if secret else field)
    return clip("&".join(fields)) or ""


def clip(text: str | None, limit: int = MAX_TEXT) -> str | None:
    """``text`` cut to ``limit`` characters (marked with an ellipsis), ``None`` kept."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
