"""The ``[http]`` access keys: defaults, every rule at its key, secrets, round trip, the demo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from agent.config import ConfigError, config_for_demo, dump_toml, parse_config
from agent.config.http_auth import HttpJwt, jwt_problems
from agent.http.security import AuditLog, Authenticator, Principal, Role, token_hash

from .security_harness import HEAD, JWT_SECRET, Clock, make_app

HASH = token_hash("t")
TOKEN = f'[[http.tokens]]\nname = "a"\nrole = "viewer"\nsha256 = "{HASH}"\n'


def problems(http: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(HEAD + http, "t.toml")
    return [f"{p.key}: {p.reason}" for p in info.value.problems]


def test_defaults_serve_loopback_to_anonymous_viewers() -> None:
    http = parse_config(HEAD).http
    assert http.model_dump() == {
        "listen": "127.0.0.1:8080",
        "tls_cert": None,
        "tls_key": None,
        "allow": ("127.0.0.0/8", "::1/128"),
        "trusted_proxies": (),
        "rate_limit_per_s": 20.0,
        "rate_burst": 100,
        "anonymous_role": "viewer",
        "audit_retention_days": 90,
        "tokens": (),
        "jwt": None,
    }
    assert parse_config(HEAD).audit_path == Path("/var/lib/floor-agent/audit.sqlite")


def test_a_full_section_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_JWT", JWT_SECRET * 2)  # HS384 needs 48 bytes
    upper = token_hash("u").upper()
    text = (
        '[http]\nallow = ["10.20.0.0/16", "192.168.1.7", "fd00::/8"]\n'
        'trusted_proxies = ["10.20.0.1/32"]\nrate_limit_per_s = 5\nrate_burst = 10\n'
        'anonymous_role = "none"\naudit_retention_days = 30\n'
        + TOKEN
        + f'[[http.tokens]]\nname = "b@casino"\nrole = "admin"\nsha256 = "{upper}"\n'
        '[http.jwt]\nsecret = { env = "FA_JWT" }\nalgorithms = ["HS256", "HS384"]\n'
        'issuer = "https://idp"\naudience = "floor"\nrole_claim = "roles"\nleeway_s = 0\n'
    )
    config = parse_config(HEAD + text)
    http = config.http
    assert http.allow == ("10.20.0.0/16", "192.168.1.7", "fd00::/8")
    assert http.rate_limit_per_s == 5.0
    assert [(t.name, t.role) for t in http.tokens] == [("a", "viewer"), ("b@casino", "admin")]
    assert http.tokens[1].sha256 == upper.lower()  # stored lower-case
    assert http.jwt is not None
    assert http.jwt.is_hmac
    assert http.jwt.secret is not None
    assert http.jwt.secret.get_secret_value() == JWT_SECRET * 2
    assert JWT_SECRET not in repr(http) + str(http.model_dump())
    dumped = dump_toml(config)
    assert 'secret = { env = "FA_JWT" }' in dumped
    assert JWT_SECRET not in dumped
    assert parse_config(dumped) == config
    authenticator = Authenticator.from_config(http)
    assert authenticator.authenticate("Bearer u") == Principal(
        name="b@casino", role=Role.ADMIN, method="token"
    )
    assert authenticator.authenticate(None) is None


@pytest.mark.parametrize(
    ("http", "expected"),
    [
        (
            'allow = ["10.1.2.3/8"]',
            "http.allow[0]: '10.1.2.3/8' has host bits set: did you mean '10.0.0.0/8'?",
        ),
        ('allow = ["nope"]', "http.allow[0]: expected an IP network"),
        ('allow = ["10.0.0.0/33"]', "http.allow[0]: expected an IP network"),
        ("allow = []", "http.allow: at least one network is required"),
        ('allow = "10.0.0.0/8"', "http.allow: Input should be a valid tuple"),
        ('trusted_proxies = ["::1/129"]', "http.trusted_proxies[0]: expected an IP network"),
        ("rate_limit_per_s = 0", "http.rate_limit_per_s: Input should be greater than 0"),
        ('rate_limit_per_s = "5"', "http.rate_limit_per_s: Input should be a valid number"),
        ("rate_burst = 0", "http.rate_burst: Input should be greater than or equal to 1"),
        ("audit_retention_days = 0", "http.audit_retention_days: Input should be greater"),
        ('anonymous_role = "guest"', "http.anonymous_role: Input should be 'none', 'viewer'"),
        ("auth = {}", "http.auth: unknown key"),
        ("tokenz = []", "http.tokenz: unknown key (did you mean 'tokens'?)"),
        (TOKEN.replace(HASH, "abc"), "http.tokens[0].sha256: expected the token's SHA-256"),
        (TOKEN.replace(HASH, "g" * 64), "http.tokens[0].sha256: expected the token's SHA-256"),
        (TOKEN.replace('"viewer"', '"root"'), "http.tokens[0].role: Input should be 'viewer'"),
        (TOKEN.replace('"a"', '"a b"'), "http.tokens[0].name: use 1-64 letters"),
        (TOKEN + 'sha265 = "x"\n', "http.tokens[0].sha265: unknown key (did you mean 'sha256'?)"),
        (
            TOKEN + TOKEN.replace(HASH, token_hash("u")),
            "http.tokens[1].name: duplicate token name 'a' (also at http.tokens[0].name)",
        ),
        (
            TOKEN + TOKEN.replace('"a"', '"b"'),
            "http.tokens[1].sha256: the same token as http.tokens[0].sha256",
        ),
        (
            'anonymous_role = "none"',
            'http.anonymous_role: is "none" but there are no [[http.tokens]]',
        ),
        (
            '[http.jwt]\nsecret = "s"\nalgorithms = ["none"]\n',
            "http.jwt.algorithms[0]: Input should be 'HS256'",
        ),
        (
            '[http.jwt]\nalgorithms = []\nsecret = "s"\n',
            "http.jwt.algorithms: at least one algorithm",
        ),
        (
            "[http.jwt]\n",
            "http.jwt.secret: required key is missing: HS256 verifies with a shared secret",
        ),
        (
            f'[http.jwt]\nsecret = "{JWT_SECRET}"\nalgorithms = ["HS256", "RS256"]\n',
            "http.jwt.algorithms: do not mix HS*",
        ),
        (
            f'[http.jwt]\nsecret = "{JWT_SECRET}"\npublic_key_file = "/k.pem"\n',
            "http.jwt.public_key_file: HS256 uses secret, not a public key",
        ),
        (
            '[http.jwt]\nsecret = "short"\n',
            "http.jwt.secret: too short: HS256 needs at least 32 bytes",
        ),
        (
            f'[http.jwt]\nsecret = "{JWT_SECRET}"\nalgorithms = ["HS512"]\n',
            "http.jwt.secret: too short: HS512 needs at least 64 bytes",
        ),
        (
            '[http.jwt]\nalgorithms = ["RS256"]\n',
            "http.jwt.public_key_file: required key is missing: RS256 needs a public key",
        ),
        (
            f'[http.jwt]\nalgorithms = ["ES256"]\nsecret = "{JWT_SECRET}"\n'
            'public_key_file = "/nonexistent.pem"\n',
            "http.jwt.secret: ES256 verifies with public_key_file, not a secret",
        ),
        (
            '[http.jwt]\nalgorithms = ["ES256"]\npublic_key_file = "/nonexistent.pem"\n',
            "http.jwt.public_key_file: cannot read /nonexistent.pem",
        ),
        (
            f'[http.jwt]\nsecret = "{JWT_SECRET}"\nrole_claim = "a b"\n',
            "http.jwt.role_claim: a claim name is 1-200 characters",
        ),
        (
            f'[http.jwt]\nsecret = "{JWT_SECRET}"\nissuer = ""\n',
            "http.jwt.issuer: cannot be empty",
        ),
        (
            f'[http.jwt]\nsecret = "{JWT_SECRET}"\nleeway_s = 601\n',
            "http.jwt.leeway_s: Input should be less than or equal to 600",
        ),
    ],
)
def test_rules_are_reported_at_their_keys(http: str, expected: str) -> None:
    found = problems("[http]\n" + http + "\n")
    assert any(p.startswith(expected) for p in found), found
    assert JWT_SECRET not in "".join(found)


def test_a_secret_never_shows_in_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_JWT", "tiny-secret-value")
    found = problems('[http]\n[http.jwt]\nsecret = { env = "FA_JWT" }\nalgorithms = ["HS256"]\n')
    assert found == ["http.jwt.secret: too short: HS256 needs at least 32 bytes"]
    found = problems('[http]\n[http.jwt]\nsecret = { env = "FA_UNSET_JWT" }\n')
    assert found == ["http.jwt.secret: environment variable FA_UNSET_JWT is not set"]


def test_pasting_a_token_instead_of_its_hash_does_not_show_it() -> None:
    token = "Qk3vJ5Xb0Z1y2R8c7W6a5S4d3F2g1H0jK9lM8nB7vC6"
    found = problems("[http]\n" + TOKEN.replace(HASH, token))
    assert token not in "".join(found)


def test_public_key_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
    private = ec.generate_private_key(ec.SECP256R1())
    public = tmp_path / "public.pem"
    public.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    secret = tmp_path / "private.pem"
    secret.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key\n")

    def jwt_table(path: Path, algorithms: str) -> str:
        return f'[http]\n[http.jwt]\npublic_key_file = "{path}"\nalgorithms = [{algorithms}]\n'

    assert parse_config(HEAD + jwt_table(public, '"ES256"')).http.jwt is not None
    assert problems(jwt_table(public, '"RS256"')) == [
        f"http.jwt.public_key_file: {public} is not a PEM public key usable with RS256"
    ]
    assert problems(jwt_table(public, '"ES256", "EdDSA"')) == [
        f"http.jwt.public_key_file: {public} is not a PEM public key usable with EdDSA"
    ]
    assert problems(jwt_table(junk, '"ES256"')) == [
        f"http.jwt.public_key_file: {junk} is not a PEM public key usable with ES256"
    ]
    assert problems(jwt_table(secret, '"ES256"')) == [
        f"http.jwt.public_key_file: {secret} holds a private key: give the public key "
        "(the agent only verifies)"
    ]
    monkeypatch.setattr("agent.config.http_auth.has_crypto", False)
    config = HttpJwt.model_validate({"public_key_file": str(public), "algorithms": ["ES256"]})
    assert [p.reason for p in jwt_problems(config, "http.jwt")] == [
        "ES256 needs the cryptography package (pip install 'pyjwt[crypto]')"
    ]


def test_the_demo_config_serves_localhost_without_a_token(tmp_path: Path) -> None:
    config = config_for_demo([("/dev/pts/3", [(1, "sim-001")])], tmp_path)
    assert config.http.allow == ("127.0.0.0/8", "::1/128")
    assert config.http.anonymous_role == "viewer"

    async def main() -> None:
        audit = AuditLog(config.audit_path)
        await audit.open()
        app = make_app(config.http, audit, Clock())
        for address, status in (("127.0.0.1", 200), ("::1", 200), ("10.1.2.3", 403)):
            transport = httpx.ASGITransport(app=app, client=(address, 5555))
            async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
                assert (await client.get("/api/status")).status_code == status
        await audit.close()
        assert config.audit_path == tmp_path / "audit.sqlite"

    asyncio.run(main())
