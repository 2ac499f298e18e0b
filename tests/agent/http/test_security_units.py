"""The pure parts of the security package: client addresses, rate buckets, roles, credentials."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from agent.http.security import Authenticator, Principal, Role
from agent.http.security.clients import Networks, client_address, parse_address, rate_key
from agent.http.security.credentials import Rejected
from agent.http.security.ratelimit import RateLimiter, retry_after

from .security_harness import TOKENS, config

PROXIES = Networks.parse(["10.0.0.1/32", "fd00::/8"])


def scope(peer: str | None, *forwarded: str) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"client": None if peer is None else (peer, 1), "headers": headers}


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("192.0.2.9", (), "192.0.2.9"),
        ("192.0.2.9", ("203.0.113.5",), "192.0.2.9"),  # not a proxy: header ignored
        ("::ffff:192.0.2.9", (), "192.0.2.9"),
        ("10.0.0.1", (), "10.0.0.1"),  # a proxy asking for itself
        ("10.0.0.1", ("203.0.113.5",), "203.0.113.5"),
        ("10.0.0.1", ("6.6.6.6, 203.0.113.5",), "203.0.113.5"),  # the left part is the client's
        ("10.0.0.1", ("6.6.6.6", "203.0.113.5, fd00::7"), "203.0.113.5"),  # two headers, chain
        ("10.0.0.1", ("fd00::7, 10.0.0.1",), "fd00::7"),  # only proxies: the leftmost
        ("10.0.0.1", (" 2001:db8::5 ",), "2001:db8::5"),
        ("10.0.0.1", ("unknown",), None),
        ("10.0.0.1", ("203.0.113.5, junk",), None),
        ("testclient", (), None),
        (None, (), None),
    ],
)
def test_client_address(peer: str | None, forwarded: tuple[str, ...], client: str | None) -> None:
    found = client_address(scope(peer, *forwarded), PROXIES)
    assert (None if found is None else str(found)) == client


def test_addresses_and_rate_keys() -> None:
    assert parse_address("::ffff:10.1.2.3") == ipaddress.IPv4Address("10.1.2.3")
    assert parse_address("nope") is None
    assert rate_key(ipaddress.ip_address("10.1.2.3")) == "10.1.2.3"
    assert rate_key(ipaddress.ip_address("2001:db8::1:2")) == "2001:db8::/64"
    assert ipaddress.ip_address("::1") in Networks.parse(["::1/128"])
    assert ipaddress.ip_address("10.0.0.1") not in Networks.parse(["::/0"])


def test_token_bucket() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.take("a", 0.0) for _ in range(3)] == [None, None, None]
    assert limiter.take("a", 0.0) == pytest.approx(0.5)
    assert limiter.take("a", 0.25) == pytest.approx(0.25)
    assert limiter.take("a", 0.5) is None
    assert limiter.take("b", 0.5) is None  # buckets are per key
    assert limiter.take("a", 100.0) is None  # refilled, but never above the burst
    assert [limiter.take("a", 100.0) for _ in range(3)][-1] == pytest.approx(0.5)
    assert limiter.take("a", 50.0) is not None  # a clock stepping back adds nothing


def test_token_bucket_memory_is_bounded() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_clients=3)
    for key in "abc":
        assert limiter.take(key, 0.0) is None
    assert limiter.take("a", 0.0) is not None  # a is now the most recent
    assert limiter.take("d", 0.0) is None  # evicts b, the least recently used
    assert len(limiter) == 3
    assert limiter.take("b", 0.0) is None  # forgotten: a fresh bucket (evicts c)
    assert limiter.take("d", 0.0) is not None  # still remembered
    assert limiter.take("a", 0.0) is not None
    with pytest.raises(ValueError, match="rate > 0"):
        RateLimiter(rate=0, burst=1)


def test_retry_after_is_whole_seconds() -> None:
    assert [retry_after(w) for w in (0.0001, 1.0, 1.01, 59.5)] == ["1", "1", "2", "60"]


def test_roles() -> None:
    assert Role.VIEWER < Role.TECHNICIAN < Role.OPERATOR < Role.ADMIN
    assert [r.label for r in Role] == ["viewer", "technician", "operator", "admin"]
    assert Role.parse("operator") is Role.OPERATOR
    assert Role.parse("OPERATOR") is None
    assert Role.parse("root") is None


def test_authenticator_values() -> None:
    authenticator = Authenticator.from_config(config().http)
    assert authenticator.authenticate(None) == Principal(
        name="anonymous", role=Role.VIEWER, method="anonymous"
    )
    assert authenticator.authenticate(f"Bearer  {TOKENS['admin']} ") == Principal(
        name="admin-1", role=Role.ADMIN, method="token"
    )
    refused = authenticator.authenticate("Bearer nope")
    assert refused == Rejected(reason="the token is not valid", method="token")
    assert authenticator.authenticate("Digest x") == Rejected(
        reason="only Bearer credentials are accepted"
    )
    nobody = Authenticator(anonymous=None)
    assert nobody.authenticate(None) is None
