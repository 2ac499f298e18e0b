"""Checks that span several keys, run once every key is valid on its own.

- line names are unique; no two lines use the same port (after
  normalising: ``/dev//ttyS0`` is ``/dev/ttyS0``, URL hosts ignore case);
- machine ids are unique across the whole file, addresses unique per line;
- each line's own rules (``problems`` of its protocol's model: a SAS address
  is 1-127, where the shared schema allows up to 247, GAPI's limit);
- ``[upstream.amqp]``: the rules across its keys (``amqp_problems`` in
  upstream.py: one of ``url``/``urls``, TLS files only for ``amqps``,
  ``key_file`` needs ``cert_file``, the reconnect delays, queue names);
- ``http.tls_cert`` and ``http.tls_key`` are set together or not at all;
- ``[http]`` access: unique token names and hashes, ``[http.jwt]``'s key
  source matching its algorithms, some credential when ``anonymous_role``
  is ``"none"`` (``http_problems`` in http_auth.py).

Each problem names the later key and points back at the first one, so the
message says both where and with what it clashes.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, TypeVar

from .endpoints import port_identity
from .errors import Problem
from .http_auth import http_problems
from .upstream import amqp_problems

if TYPE_CHECKING:
    from .schema import AgentConfig

T = TypeVar("T", bound=Hashable)


def cross_check(config: AgentConfig) -> list[Problem]:
    problems: list[Problem] = []
    names: dict[str, str] = {}
    ports: dict[str, str] = {}
    machine_ids: dict[str, str] = {}
    for n, line in enumerate(config.lines):
        here = f"lines[{n}]"
        _unique(problems, names, line.name, f"{here}.name", f"line name {line.name!r}")
        _unique(problems, ports, port_identity(line.port), f"{here}.port", f"port {line.port!r}")
        addresses: dict[int, str] = {}
        for m, machine in enumerate(line.machines):
            at = f"{here}.machines[{m}]"
            _unique(problems, machine_ids, machine.id, f"{at}.id", f"machine id {machine.id!r}")
            address = f"address {machine.address} on this line"
            _unique(problems, addresses, machine.address, f"{at}.address", address)
        problems += line.problems(here)
    if config.upstream.amqp is not None:
        problems += amqp_problems(config.upstream.amqp, "upstream.amqp")
    http = config.http
    if (http.tls_cert is None) != (http.tls_key is None):
        given, missing = (
            ("tls_cert", "tls_key") if http.tls_key is None else ("tls_key", "tls_cert")
        )
        reason = f"{given} is set without {missing}: set both or neither"
        problems.append(Problem(key=f"http.{missing}", reason=reason))
    problems += http_problems(http, "http")
    return problems


def _unique(problems: list[Problem], seen: dict[T, str], value: T, key: str, label: str) -> None:
    first = seen.setdefault(value, key)
    if first != key:
        problems.append(Problem(key=key, reason=f"duplicate {label} (also at {first})"))
