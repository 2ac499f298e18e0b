"""Where lines and the HTTP server point: serial ports and listen addresses.

A line's ``port`` is one of:

- an absolute path to a serial device: ``/dev/ttyS0``, ``/dev/ttyUSB0``,
  ``/dev/serial/by-id/...``, a pty (``/dev/pts/7``) or a link to one;
- ``socket://HOST:PORT`` (a raw TCP device server, pyserial's socket URL);
- ``rfc2217://HOST:PORT`` (a Telnet COM-port server, RFC 2217).

URLs may carry the options pyserial knows (``?logging=debug``; for
rfc2217 also ``ign_set_control``, ``poll_modem``, ``timeout``). ``listen``
is ``HOST:PORT`` with an IPv4 address, a host name, or ``[IPv6]``.

Each check raises ``ValueError`` with a reason fit for a ``Problem``; the
functions are pure (nothing is opened or resolved), so a file can be checked
on another machine than the one that runs it.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from urllib.parse import parse_qs, urlsplit

URL_OPTIONS = {
    "socket": frozenset({"logging"}),
    "rfc2217": frozenset({"logging", "ign_set_control", "poll_modem", "timeout"}),
}
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_PORT_HINT = "a device path such as /dev/ttyS0, or socket://HOST:PORT or rfc2217://HOST:PORT"


def is_url(port: str) -> bool:
    return "://" in port


def check_port(port: str) -> str:
    """Return ``port`` unchanged if it is a usable device path or URL."""
    if is_url(port):
        _check_url(port)
    elif not port.startswith("/"):
        raise ValueError(f"not {_PORT_HINT}: {port!r}")
    return port


def port_identity(port: str) -> str:
    """A normal form of a checked port, so two spellings of one port compare equal."""
    if is_url(port):
        parts = urlsplit(port)
        return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port}"
    return posixpath.normpath(port)


def check_listen(listen: str) -> str:
    """Return ``listen`` unchanged if it is ``HOST:PORT``."""
    host, colon, port = listen.rpartition(":")
    if not colon or not host:
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8080, got {listen!r}")
    if port != "0":  # port 0: any free port (the demo and tests use it)
        _check_tcp_port(port, listen)
    if host.startswith("[") and host.endswith("]"):
        _check_ipv6(host[1:-1], listen)
    elif ":" in host:
        raise ValueError(f"write an IPv6 address in brackets, as in [::1]:8080, got {listen!r}")
    else:
        check_host(host, listen)
    return listen


def check_host(host: str, where: str) -> None:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        labels = host.removesuffix(".").split(".")
        valid = all(_LABEL.fullmatch(label) for label in labels)
        if not valid or labels[-1].isdigit():  # all-digit last label: a broken IPv4
            raise ValueError(f"not a host name or IPv4 address: {host!r} in {where!r}") from None


def _check_ipv6(host: str, where: str) -> None:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise ValueError(f"not an IPv6 address: {host!r} in {where!r}") from None


def _check_tcp_port(port: str, where: str) -> None:
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"the TCP port must be 1-65535, got {port!r} in {where!r}")


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. a bracketed host that is not an IPv6 address
        raise ValueError(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme not in URL_OPTIONS:
        raise ValueError(f"unknown URL scheme {parts.scheme!r}: use {_PORT_HINT}")
    if parts.username is not None or parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"expected {parts.scheme}://HOST:PORT, got {url!r}")
    host, colon, port = parts.netloc.rpartition(":")
    if not colon or not host:
        raise ValueError(f"expected {parts.scheme}://HOST:PORT, got {url!r}")
    _check_tcp_port(port, url)
    if not (host.startswith("[") and host.endswith("]")):  # urlsplit checked [IPv6] already
        check_host(host, url)
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(options) - URL_OPTIONS[parts.scheme])
    if unknown:
        known = ", ".join(sorted(URL_OPTIONS[parts.scheme]))
        raise ValueError(f"unknown option {unknown[0]!r} in {url!r} (known: {known})")
