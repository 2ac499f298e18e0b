"""The door: decide, for one request, whether it goes in and as whom.

``Guard.check(scope, now)`` is pure (no I/O, time is an argument) and runs
the checks in this order, stopping at the first refusal:

1. the client's address (clients.py): none known -> 403;
2. the allow-list, ``http.allow``: not in it -> 403;
3. the rate limit, per client (ratelimit.py): bucket empty -> 429 with
   ``Retry-After`` (so a client outside the allow-list cannot spend the
   limiter's memory, and failed logins are rate-limited like anything else);
4. the credential (credentials.py): a bad, expired or unknown one -> 401
   with ``WWW-Authenticate: Bearer``, on every path;
5. no credential and ``anonymous_role = "none"`` -> 401, except on the
   public paths (``/healthz``, and the status page's shell: ``/`` and
   ``/static/...``, which hold no data and must load so the page can ask
   for a token), which are then served to nobody in particular
   (``principal`` is ``None``). A public path ending in ``*`` is a prefix.

Whatever passes is ``Admitted``; the route's own ``require(role)`` then
decides whether the principal's role is enough (403 if not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import Scope

from agent.config.schema import Http

from .clients import Networks, client_address, rate_key
from .credentials import Authenticator, Rejected
from .ratelimit import RateLimiter, retry_after
from .roles import REALM, AuthMethod, Principal

PUBLIC_PATHS = ("/healthz", "/", "/static/*")
AUTHORIZATION = b"authorization"


@dataclass(frozen=True, slots=True, kw_only=True)
class Admitted:
    """The request goes in, as ``principal`` (``None``: nobody, on a public path)."""

    client_ip: str
    principal: Principal | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """The request is answered here with ``status`` and ``{"detail": detail}``."""

    status: int
    detail: str
    client_ip: str | None
    method: AuthMethod | None = None
    headers: tuple[tuple[str, str], ...] = ()


class Guard:
    """The checks of the module docstring, configured once."""

    def __init__(
        self,
        *,
        allow: Networks,
        trusted_proxies: Networks,
        limiter: RateLimiter,
        authenticator: Authenticator,
        public_paths: Iterable[str] = PUBLIC_PATHS,
    ) -> None:
        self.allow = allow
        self.trusted_proxies = trusted_proxies
        self.limiter = limiter
        self.authenticator = authenticator
        paths = tuple(public_paths)
        self.public_paths = frozenset(p for p in paths if not p.endswith("*"))
        self.public_prefixes = tuple(p[:-1] for p in paths if p.endswith("*"))

    @classmethod
    def from_config(cls, http: Http, *, public_paths: Iterable[str] = PUBLIC_PATHS) -> Guard:
        return cls(
            allow=Networks.parse(http.allow),
            trusted_proxies=Networks.parse(http.trusted_proxies),
            limiter=RateLimiter(rate=http.rate_limit_per_s, burst=http.rate_burst),
            authenticator=Authenticator.from_config(http),
            public_paths=public_paths,
        )

    def check(self, scope: Scope, now: float) -> Admitted | Refused:
        address = client_address(scope, self.trusted_proxies)
        if address is None:
            return Refused(status=403, detail="cannot tell the client's address", client_ip=None)
        ip = str(address)
        if address not in self.allow:
            return Refused(status=403, detail=f"{ip} is not in the allow-list", client_ip=ip)
        wait = self.limiter.take(rate_key(address), now)
        if wait is not None:
            headers = (("retry-after", retry_after(wait)),)
            return Refused(status=429, detail="too many requests", client_ip=ip, headers=headers)
        result = self.authenticator.authenticate(_authorization(scope))
        if isinstance(result, Rejected):
            error = "invalid_token" if result.method else "invalid_request"
            challenge = (("www-authenticate", f'{REALM}, error="{error}"'),)
            return Refused(
                status=401,
                detail=result.reason,
                client_ip=ip,
                method=result.method,
                headers=challenge,
            )
        if result is None and not self._public(str(scope.get("path", ""))):
            return Refused(
                status=401,
                detail="authentication required: send Authorization: Bearer <token>",
                client_ip=ip,
                headers=(("www-authenticate", REALM),),
            )
        return Admitted(client_ip=ip, principal=result)

    def _public(self, path: str) -> bool:
        return path in self.public_paths or path.startswith(self.public_prefixes)


def _authorization(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == AUTHORIZATION:
            text: str = value.decode("latin-1")
            return text
    return None
