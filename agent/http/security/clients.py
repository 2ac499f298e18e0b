"""Where a request comes from: the client's IP address, and whether it may connect at all.

Rules.
- The client is the TCP peer in the ASGI scope (``scope["client"]``).
  ``X-Forwarded-For`` is believed only when the peer is in
  ``http.trusted_proxies``: then the header is read from the right, hop by
  hop, skipping addresses that are trusted proxies too, and the first
  address that is not one is the client (if every hop is a trusted proxy,
  the leftmost is the client). A header that does not parse
  there, or a scope without a peer (a Unix socket), gives no address, and a
  request without an address is refused: an unknown client must never
  count as an allowed one.
- IPv4-mapped IPv6 addresses (``::ffff:10.1.2.3``, what a dual-stack
  ``[::]`` socket reports for IPv4 peers) are taken as the IPv4 address, so
  one allow-list entry covers both spellings.
- ``rate_key`` groups IPv6 clients by their /64 (one host can hold a whole
  /64), IPv4 clients by their address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import Scope

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_FOR = b"x-forwarded-for"
MAX_FORWARDED_HOPS = 32


def parse_address(text: str) -> IpAddress | None:
    """An address from a peer or a header, IPv4-mapped IPv6 made IPv4; ``None`` if it is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class Networks:
    """A set of networks that answers "is this address in one of you"."""

    networks: tuple[IpNetwork, ...]

    @classmethod
    def parse(cls, cidrs: Iterable[str]) -> Networks:
        return cls(tuple(ipaddress.ip_network(cidr) for cidr in cidrs))

    def __contains__(self, address: object) -> bool:
        return any(address in network for network in self.networks)


def client_address(scope: Scope, trusted_proxies: Networks) -> IpAddress | None:
    """The client's address for ``scope`` (see the module rules), or ``None``."""
    client = scope.get("client")
    if not client:
        return None
    peer = parse_address(str(client[0]))
    if peer is None or peer not in trusted_proxies:
        return peer
    hops = [
        hop
        for name, value in scope.get("headers", ())
        if name == FORWARDED_FOR
        for hop in value.decode("latin-1").split(",")
    ]
    client_so_far = peer
    for hop in reversed(hops[-MAX_FORWARDED_HOPS:]):
        address = parse_address(hop)
        if address is None:
            return None
        if address not in trusted_proxies:
            return address
        client_so_far = address
    return client_so_far


def rate_key(address: IpAddress) -> str:
    """What the rate limit counts by: the IPv4 address, or the IPv6 /64."""
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
