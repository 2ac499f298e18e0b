"""Who may use the local HTTP side: the typed keys of ``[http]`` beyond ``listen`` and TLS.

Job: describe the IP allow-list, the rate limit, the anonymous role, the
audit retention, ``[[http.tokens]]`` and ``[http.jwt]``, and check them; the
runtime that enforces them is ``agent.http.security``.

Rules.
- A token is configured by its SHA-256 (64 hex digits, stored lower-case),
  never by its value: ``floor-agent token new`` makes one and prints both.
- CIDRs must parse and have no host bits set (``10.1.0.0/16``, not
  ``10.1.2.3/16``); a bare address is one host. ``allow`` cannot be empty:
  write ``["0.0.0.0/0", "::/0"]`` to allow everyone, on purpose.
- ``[http.jwt]`` takes exactly one key source, matching the algorithm
  family: ``secret`` for ``HS*`` (at least as many bytes as the hash,
  RFC 7518 section 3.2), ``public_key_file`` (PEM, a *public* key) for the
  others; one configuration never mixes the two families, which closes the
  "verify an HMAC with the public key" confusion. ``none`` is not an
  algorithm here. Public-key algorithms need the ``cryptography`` package
  (``pyjwt[crypto]``); the key file is read and matched to every algorithm
  at load, so ``config check`` finds a wrong key.
- ``anonymous_role = "none"`` needs some way to authenticate (a token or
  JWT), or every call would be refused.
- Rules spanning keys are in ``http_problems``, called from checks.py, and
  name the key they are about; no message shows a secret or a hash.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from jwt.algorithms import get_default_algorithms, has_crypto
from jwt.exceptions import InvalidKeyError
from pydantic import AfterValidator, BeforeValidator, Field

from .base import FsPath, Plain, Section
from .errors import Problem
from .secret import Secret, unwrap

if TYPE_CHECKING:
    from .schema import Http

RoleName = Literal["viewer", "technician", "operator", "admin"]
AnonymousRole = Literal["none", "viewer", "technician", "operator", "admin"]
JwtAlgorithm = Literal[
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
]
JWT_ALGORITHMS: tuple[str, ...] = get_args(JwtAlgorithm)
LOOPBACK = ("127.0.0.0/8", "::1/128")
HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
_TOKEN_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_CLAIM = re.compile(r"\S{1,200}")


def check_token_name(value: str) -> str:
    """The rule for ``[[http.tokens]].name``, for the ``token new`` command too."""
    if not _TOKEN_NAME.fullmatch(value):
        raise ValueError(f"use 1-64 letters, digits, '.', '_', '@' and '-', got {value!r}")
    return value


def _sha256(value: str) -> str:
    if not _SHA256.fullmatch(value):
        # the value is not quoted: someone may have pasted the token itself here
        raise ValueError(
            "expected the token's SHA-256 as 64 hex digits (floor-agent token new prints it), "
            "not the token"
        )
    return value.lower()


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"expected an IP network such as '10.20.0.0/16' or '::1/128', got {value!r}"
            ) from None
        raise ValueError(f"{value!r} has host bits set: did you mean '{loose}'?") from None
    return value


def _claim(value: str) -> str:
    if not _CLAIM.fullmatch(value):
        raise ValueError(f"a claim name is 1-200 characters without spaces, got {value!r}")
    return value


def _not_empty(value: str) -> str:
    if not value:
        raise ValueError("cannot be empty")
    return value


Cidr = Annotated[str, BeforeValidator(unwrap), AfterValidator(_cidr)]
ClaimName = Annotated[str, BeforeValidator(unwrap), AfterValidator(_claim)]
NonEmpty = Annotated[Plain, AfterValidator(_not_empty)]


class HttpToken(Section):
    """One ``[[http.tokens]]``: a bearer token known by its hash, with its holder's role."""

    name: Annotated[Plain, AfterValidator(check_token_name)]
    role: Annotated[RoleName, BeforeValidator(unwrap)]
    sha256: Annotated[Plain, AfterValidator(_sha256)]


class HttpJwt(Section):
    """``[http.jwt]``: accept JSON Web Tokens signed by an identity provider."""

    secret: Secret | None = None
    public_key_file: FsPath | None = None
    algorithms: Annotated[
        tuple[Annotated[JwtAlgorithm, BeforeValidator(unwrap)], ...], Field(strict=False)
    ] = ("HS256",)
    issuer: NonEmpty | None = None
    audience: NonEmpty | None = None
    role_claim: ClaimName = "role"
    name_claim: ClaimName = "sub"
    leeway_s: float = Field(default=30.0, allow_inf_nan=False, ge=0, le=600)

    @property
    def is_hmac(self) -> bool:
        """Whether the algorithms are the ``HS*`` family (a shared secret)."""
        return all(alg.startswith("HS") for alg in self.algorithms)


def http_problems(http: Http, where: str) -> list[Problem]:
    """The rules across the keys of ``[http]`` (whose key path is ``where``) about access."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    hashes: dict[str, str] = {}
    for n, token in enumerate(http.tokens):
        at = f"{where}.tokens[{n}]"
        first = names.setdefault(token.name, f"{at}.name")
        if first != f"{at}.name":
            reason = f"duplicate token name {token.name!r} (also at {first})"
            problems.append(Problem(key=f"{at}.name", reason=reason))
        first = hashes.setdefault(token.sha256, f"{at}.sha256")
        if first != f"{at}.sha256":
            reason = f"the same token as {first}: give every holder a token of their own"
            problems.append(Problem(key=f"{at}.sha256", reason=reason))
    if http.jwt is not None:
        problems += jwt_problems(http.jwt, f"{where}.jwt")
    if http.anonymous_role == "none" and not http.tokens and http.jwt is None:
        reason = (
            'is "none" but there are no [[http.tokens]] and no [http.jwt]: '
            "every call would be refused"
        )
        problems.append(Problem(key=f"{where}.anonymous_role", reason=reason))
    return problems


def jwt_problems(jwt: HttpJwt, where: str) -> list[Problem]:
    """The rules of ``[http.jwt]``: one key source, matching the algorithms."""
    problems: list[Problem] = []

    def add(key: str, reason: str) -> None:
        problems.append(Problem(key=f"{where}.{key}", reason=reason))

    if not jwt.algorithms:
        add("algorithms", "at least one algorithm is required")
        return problems
    hmac_algs = [alg for alg in jwt.algorithms if alg.startswith("HS")]
    if hmac_algs and len(hmac_algs) != len(jwt.algorithms):
        add(
            "algorithms",
            "do not mix HS* (shared secret) with public-key algorithms: a token could then be "
            "signed with the public key as an HMAC secret",
        )
        return problems
    if hmac_algs:
        if jwt.public_key_file is not None:
            add("public_key_file", f"{hmac_algs[0]} uses secret, not a public key")
        if jwt.secret is None:
            add("secret", f"required key is missing: {hmac_algs[0]} verifies with a shared secret")
        else:
            need = max(HMAC_MIN_BYTES[alg] for alg in hmac_algs)
            if len(jwt.secret.get_secret_value().encode()) < need:
                add("secret", f"too short: {'/'.join(hmac_algs)} needs at least {need} bytes")
        return problems
    if jwt.secret is not None:
        add("secret", f"{jwt.algorithms[0]} verifies with public_key_file, not a secret")
    if jwt.public_key_file is None:
        add("public_key_file", f"required key is missing: {jwt.algorithms[0]} needs a public key")
        return problems
    if not has_crypto:
        add(
            "algorithms",
            f"{jwt.algorithms[0]} needs the cryptography package (pip install 'pyjwt[crypto]')",
        )
        return problems
    reason = public_key_problem(jwt.public_key_file, jwt.algorithms)
    if reason is not None:
        add("public_key_file", reason)
    return problems


def public_key_problem(path: Path, algorithms: tuple[str, ...]) -> str | None:
    """Why ``path`` cannot verify ``algorithms``, or ``None`` when it can."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if b"PRIVATE KEY" in pem:
        return f"{path} holds a private key: give the public key (the agent only verifies)"
    available = get_default_algorithms()
    for alg in algorithms:
        try:
            available[alg].prepare_key(pem)
        except (InvalidKeyError, ValueError, TypeError):
            return f"{path} is not a PEM public key usable with {alg}"
    return None
