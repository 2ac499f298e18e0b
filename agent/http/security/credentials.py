"""Who a request is: the ``Authorization`` header turned into a ``Principal``, or a refusal.

Rules.
- Only ``Authorization: Bearer <credential>`` is understood (RFC 6750); any
  other scheme, or a malformed header, is refused, never ignored.
- A credential is first looked up among ``[[http.tokens]]``: its SHA-256 is
  compared with every configured hash using ``hmac.compare_digest`` (all of
  them, so the time taken does not tell which one nearly matched). Only the
  hashes are held; the tokens themselves are never stored.
- Otherwise, if it has the JWT shape (three dot-separated parts) and
  ``[http.jwt]`` is set, PyJWT verifies it: signature with the configured
  algorithms only, ``exp`` required (within ``leeway_s``), ``iss`` and
  ``aud`` when configured. The role comes from ``role_claim`` (a role name,
  or a list of names of which the highest known one counts); the name from
  ``name_claim``. A claim that is missing or names no role is refused.
- No header at all is the anonymous principal, or ``None`` when
  ``anonymous_role = "none"`` (the caller decides what that allows).
- A refusal's ``reason`` is a fixed phrase: it never contains the
  credential, nor PyJWT's own messages.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any, Final

import jwt
from jwt.algorithms import get_default_algorithms

from agent.config.errors import ConfigError, Problem
from agent.config.http_auth import HttpJwt, HttpToken, public_key_problem
from agent.config.schema import Http

from .roles import AuthMethod, Principal, Role

ANONYMOUS: Final = "anonymous"
MAX_NAME = 200
_BEARER = re.compile(r"Bearer +([A-Za-z0-9\-._~+/]+=*) *", re.IGNORECASE)
_JWT_FAILURES: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is not accepted"),
    (jwt.InvalidIssuerError, "the token's issuer is not accepted"),
    (jwt.InvalidAudienceError, "the token's audience is not accepted"),
    (jwt.DecodeError, "the token is not a valid JWT"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    """A credential that was refused: why (safe to show), and how it was tried."""

    reason: str
    method: AuthMethod | None = None


def token_hash(token: str) -> str:
    """The hex SHA-256 of a token, as written in ``[[http.tokens]].sha256``."""
    return hashlib.sha256(token.encode()).hexdigest()


class JwtVerifier:
    """Verifies JWTs as ``[http.jwt]`` says; the key is read once, at construction."""

    def __init__(self, config: HttpJwt, key: Any) -> None:
        self.config = config
        self._key = key
        self._options: jwt.types.Options = {
            "require": ["exp"],
            "verify_aud": config.audience is not None,
        }

    @classmethod
    def from_config(cls, config: HttpJwt, where: str = "http.jwt") -> JwtVerifier:
        """Build the verifier; ``ConfigError`` if the key cannot be had any more."""
        if config.secret is not None:
            return cls(config, config.secret.get_secret_value())
        path = config.public_key_file
        reason: str | None = "required key is missing"
        if path is not None:
            reason = public_key_problem(path, config.algorithms)
            if reason is None:
                algorithm = get_default_algorithms()[config.algorithms[0]]
                return cls(config, algorithm.prepare_key(path.read_bytes()))
        problem = Problem(key=f"{where}.public_key_file", reason=reason or "unusable")
        raise ConfigError("<config>", [problem])

    def verify(self, token: str) -> Principal | Rejected:
        config = self.config
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=list(config.algorithms),
                options=self._options,
                issuer=config.issuer,
                audience=config.audience,
                leeway=config.leeway_s,
            )
        except jwt.MissingRequiredClaimError as exc:
            return Rejected(reason=f"the token has no {exc.claim!r} claim", method="jwt")
        except jwt.PyJWTError as exc:
            reason = next((r for kind, r in _JWT_FAILURES if isinstance(exc, kind)), None)
            return Rejected(reason=reason or "the token is not accepted", method="jwt")
        name = claims.get(config.name_claim)
        if not isinstance(name, str) or not name:
            return Rejected(reason=f"the token has no {config.name_claim!r} claim", method="jwt")
        role = _role_of(claims.get(config.role_claim))
        if role is None:
            reason = (
                f"the token's {config.role_claim!r} claim names no role "
                "(viewer, technician, operator, admin)"
            )
            if config.role_claim not in claims:
                reason = f"the token has no {config.role_claim!r} claim"
            return Rejected(reason=reason, method="jwt")
        return Principal(name=name[:MAX_NAME], role=role, method="jwt")


def _role_of(claim: object) -> Role | None:
    names = [claim] if isinstance(claim, str) else claim if isinstance(claim, list) else []
    roles = [role for n in names if isinstance(n, str) and (role := Role.parse(n)) is not None]
    return max(roles, default=None)


class Authenticator:
    """Turns an ``Authorization`` header into a ``Principal``; see the module rules."""

    def __init__(
        self,
        *,
        tokens: tuple[HttpToken, ...] = (),
        jwt_verifier: JwtVerifier | None = None,
        anonymous: Role | None = Role.VIEWER,
    ) -> None:
        self._tokens = tuple(
            (token.name, Role[token.role.upper()], token.sha256.encode()) for token in tokens
        )
        self._jwt = jwt_verifier
        self._anonymous = (
            None
            if anonymous is None
            else Principal(name=ANONYMOUS, role=anonymous, method=ANONYMOUS)
        )

    @classmethod
    def from_config(cls, http: Http) -> Authenticator:
        verifier = None if http.jwt is None else JwtVerifier.from_config(http.jwt)
        anonymous = None if http.anonymous_role == "none" else Role[http.anonymous_role.upper()]
        return cls(tokens=http.tokens, jwt_verifier=verifier, anonymous=anonymous)

    def authenticate(self, authorization: str | None) -> Principal | Rejected | None:
        """The principal for a header value (``None``: no header), a refusal, or nobody."""
        if authorization is None:
            return self._anonymous
        match = _BEARER.fullmatch(authorization)
        if match is None:
            scheme = authorization.partition(" ")[0]
            if scheme.lower() != "bearer":
                return Rejected(reason="only Bearer credentials are accepted")
            return Rejected(reason="malformed Authorization header")
        credential = match[1]
        digest = token_hash(credential).encode()
        found: tuple[str, Role] | None = None
        for name, role, expected in self._tokens:  # no early exit: see the module rules
            if hmac.compare_digest(digest, expected):
                found = (name, role)
        if found is not None:
            return Principal(name=found[0], role=found[1], method="token")
        if self._jwt is not None and credential.count(".") == 2:
            return self._jwt.verify(credential)
        return Rejected(reason="the token is not valid", method="token")
