"""Security of the local HTTP side: who may call, how often, as whom, and a record of it all.

Modules, in the order a request meets them::

    middleware.py   install_security: the one pure-ASGI middleware (never
                    buffers a response), guard first, audit record after
    guard.py        the checks in order: address, allow-list, rate limit,
                    credential, anonymous access; pure, time is an argument
    clients.py      the client's address (X-Forwarded-For only from
                    http.trusted_proxies), networks
    ratelimit.py    token buckets per client, bounded memory
    credentials.py  Bearer tokens (by SHA-256) and JWTs (PyJWT) -> Principal
    roles.py        Role, Principal, require(role) for the routes
    records.py      AuditRecord, AuditEntry, query-string redaction
    audit.py        AuditLog: SQLite (WAL), one writer thread, retention

Wiring (app.py)::

    audit = AuditLog(config.audit_path, retention_days=config.http.audit_retention_days)
    await audit.open()                       # at startup; await audit.close() at shutdown
    install_security(app, config.http, audit)
    @app.post("/api/machines/{id}/actions")
    async def act(..., principal: Principal = Depends(require(Role.OPERATOR))): ...

Secrets never leave this package: tokens are held as hashes, refusals and
audit records carry fixed phrases, and query strings are redacted.
"""

from .audit import AuditLog
from .credentials import Authenticator, JwtVerifier, token_hash
from .guard import PUBLIC_PATHS
from .middleware import SecurityMiddleware, install_security
from .records import AuditEntry, AuditKind, AuditRecord, redact_query
from .roles import AuthMethod, Principal, Role, require

__all__ = [
    "PUBLIC_PATHS",
    "AuditEntry",
    "AuditKind",
    "AuditLog",
    "AuditRecord",
    "AuthMethod",
    "Authenticator",
    "JwtVerifier",
    "Principal",
    "Role",
    "SecurityMiddleware",
    "install_security",
    "redact_query",
    "require",
    "token_hash",
]
