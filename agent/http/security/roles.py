"""Roles, the principal a request acts as, and the FastAPI dependency that gates a route.

Rules.
- Roles are ordered: viewer < technician < operator < admin; a route asks
  for the lowest role that may use it and every higher role may too.
- The security middleware (middleware.py) decides who a request is and puts
  the ``Principal`` (or ``None``: nobody, when ``anonymous_role = "none"``)
  in ``scope["state"]["principal"]``; ``require`` only reads it, so a route
  is never reached with a credential that was not checked.
- No principal is 401 (with ``WWW-Authenticate: Bearer``); a principal whose
  role is too low is 403 and the message names both roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

AuthMethod = Literal["token", "jwt", "anonymous"]
REALM = 'Bearer realm="floor-agent"'

# Declares the bearer scheme in the OpenAPI document, so /docs has an
# "Authorize" button; the middleware has already checked the header.
_bearer = HTTPBearer(auto_error=False, description="A token from [[http.tokens]] or a JWT")


class Role(IntEnum):
    """What a caller may do; a higher role may do everything a lower one may."""

    VIEWER = 1
    TECHNICIAN = 2
    OPERATOR = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        """The role's name as written in the configuration: ``"viewer"``, ..."""
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> Role | None:
        """The role called ``name`` (``"operator"``), or ``None`` for an unknown name."""
        return next((role for role in cls if role.label == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who a request acts as: a token's name, a JWT's subject, or ``anonymous``."""

    name: str
    role: Role
    method: AuthMethod


def require(role: Role) -> Callable[..., Principal]:
    """A dependency that returns the request's principal if it has at least ``role``.

    Use it as ``principal: Principal = Depends(require(Role.OPERATOR))`` or in
    ``dependencies=[Depends(require(Role.ADMIN))]``.
    """

    def dependency(
        request: Request,
        _credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Principal:
        principal = getattr(request.state, "principal", None)
        if not isinstance(principal, Principal):
            raise HTTPException(
                status_code=401,
                detail="authentication required: send Authorization: Bearer <token>",
                headers={"WWW-Authenticate": REALM},
            )
        if principal.role < role:
            raise HTTPException(
                status_code=403,
                detail=f"this needs the {role.label} role; you are {principal.role.label}",
            )
        return principal

    dependency.__name__ = f"require_{role.label}"
    return dependency
