"""``[upstream.amqp]``: where and how the AMQP sink publishes events (RabbitMQ).

Job: the typed section ``AmqpUpstream`` with its ``[[upstream.amqp.queues]]``
(``AmqpQueue``), the checks on them, and ``redact_url`` to show a broker URL
in the status page and logs without its password.

Rules.
- One broker (``url``) or a cluster (``urls``, tried in order), never both
  and never neither. Each URL is ``amqp://`` or ``amqps://`` with a host
  (a host name, IPv4 or ``[IPv6]``) and, if given, a port 1-65535; a ``/``,
  ``?``, ``#`` or ``@`` in the user name or password must be
  percent-encoded, so an ``@`` after the host is refused. URLs are
  ``Secret``s (they carry the password): ``repr``, ``str``, logs and
  ``model_dump`` show ``**********``, and no message quotes a URL with its
  password. ``broker_urls()`` gives the plain strings to connect with.
- Exchange and queue names are 1-255 of ``[A-Za-z0-9._:-]`` and do not
  start with ``amq.`` (the broker reserves it). A binding is a topic
  pattern: words of ``[A-Za-z0-9_-]``, ``*`` (exactly one word) or ``#``
  (any number of words), joined by ``.``, at most 255 characters.
- A queue's ``arguments`` are x-arguments (strings, integers, booleans);
  the queue type is set with ``type``, not with ``x-queue-type``.
- ``ca_file``, ``cert_file`` and ``key_file`` are read only for ``amqps``
  brokers, so they are refused with an ``amqp`` URL; ``key_file`` needs
  ``cert_file``. Each must be a readable file when the configuration is
  loaded (like a secret file: ``config check`` catches a missing CA).
- Every other string may be an ``{ env = ... }`` or ``{ file = ... }``
  reference too (secret.py) and receives the plain string.

Where each rule runs: rules on one key are field validators and are
reported with every other key problem; the rules that span keys (``url``
xor ``urls``, TLS files only with ``amqps``, ``key_file`` needs
``cert_file``, ``reconnect_max_s >= reconnect_min_s``, unique queue names)
are ``amqp_problems``, which checks.py runs once every key is valid, so
each problem names its own key. A model built directly (not through
``AgentConfig``) skips them, like the other cross-checks.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .base import FsPath, Plain, Section, at_least_one
from .endpoints import check_host
from .errors import Problem
from .secret import Secret, unwrap

SCHEMES = frozenset({"amqp", "amqps"})
TLS_FILES = ("ca_file", "cert_file", "key_file")
MAX_SHORT_STRING = 255  # bytes: AMQP 0-9-1 shortstr (names, routing keys, app_id)
_AMQP_NAME = re.compile(r"[A-Za-z0-9._:-]+")
_WORD = re.compile(r"[A-Za-z0-9_-]+|\*|#")
_AUTHORITY_END = re.compile(r"[/?#]")
_URL_FORM = "amqp[s]://[USER[:PASSWORD]@]HOST[:PORT][/VHOST]"


def _amqp_name(value: str) -> str:
    if not _AMQP_NAME.fullmatch(value) or len(value) > MAX_SHORT_STRING:
        raise ValueError(f"use 1-255 letters, digits, '.', '_', ':' and '-', got {value!r}")
    if value.startswith("amq."):
        raise ValueError(f"names starting with 'amq.' are reserved by the broker, got {value!r}")
    return value


def _short_string(value: str) -> str:
    size = len(value.encode())
    if not 1 <= size <= MAX_SHORT_STRING:
        raise ValueError(f"use 1-255 bytes (UTF-8), got {size}")
    return value


def _binding(value: str) -> str:
    words = value.split(".")
    if len(value) > MAX_SHORT_STRING or not all(map(_WORD.fullmatch, words)):
        raise ValueError(
            "expected a topic pattern: words of letters, digits, '_' and '-', or '*' "
            f"(one word) or '#' (any number of words), joined by '.', got {value!r}"
        )
    return value


def _argument_value(value: object) -> object:
    value = unwrap(value)
    if not isinstance(value, str | int):  # a bool is an int
        # a "*_type" error: load.py adds what was found, as for pydantic's own type errors
        raise PydanticCustomError(
            "argument_type", "a queue argument is a string, an integer or a boolean"
        )
    return value


def _x_arguments(arguments: dict[str, str | int | bool]) -> dict[str, str | int | bool]:
    for key in arguments:
        if key == "x-queue-type":
            raise ValueError("set the queue type with type = \"quorum\", not with 'x-queue-type'")
        if not key.startswith("x-") or key == "x-":
            raise ValueError(f"queue arguments start with 'x-' (as 'x-max-length'), got {key!r}")
    return arguments


def _readable_file(path: Path) -> Path:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise ValueError(f"cannot read {path}: not a regular file")
    try:
        path.open("rb").close()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    return path


def _broker_url(url: Secret) -> Secret:
    """Check one broker URL; a message shows it only redacted, as it may hold a password."""
    text = url.get_secret_value()
    try:
        parts = urlsplit(text)
    except ValueError:  # a bracketed host that is not an IPv6 address
        raise ValueError(f"not a valid URL: expected {_URL_FORM}") from None
    if parts.scheme not in SCHEMES:
        got = f", got {parts.scheme + '://'!r}" if parts.scheme else ""
        raise ValueError(f"the URL must start with amqp:// or amqps://{got}")
    if "@" in parts.path + parts.query + parts.fragment:
        raise ValueError(
            "an '@' after the host: percent-encode '/', '?', '#' and '@' in the user name "
            "and password (%2F, %3F, %23, %40)"
        )
    if not parts.hostname:
        raise ValueError(f"the URL has no host: expected {_URL_FORM}")
    try:
        port = parts.port
    except ValueError:  # not a number, or over 65535
        port = 0
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("the port must be 1-65535")
    if ":" not in parts.hostname:  # urlsplit checked a bracketed IPv6 address already
        check_host(parts.hostname, redact_url(text))
    return url


def redact_url(url: str) -> str:
    """``url`` without its password: ``amqp://u:pw@host:5672/vh`` -> ``amqp://u@host:5672/vh``.

    Made for URLs the configuration accepted. In anything else that has an
    ``@`` after the host (an unencoded ``/`` in a password, say), everything
    up to the last ``@`` is replaced by ``***``, so no part of a password shows.
    """
    scheme, sep, rest = url.partition("://")
    end = _AUTHORITY_END.search(rest)
    authority, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    if not sep or "@" in tail:
        if "@" not in url:
            return url
        after = url.rpartition("@")[2]
        return f"{scheme}://***@{after}" if sep else f"***@{after}"
    userinfo, at, host = authority.rpartition("@")
    if not at:
        return url
    user = userinfo.partition(":")[0]
    return f"{scheme}://{user}@{host}{tail}" if user else f"{scheme}://{host}{tail}"


AmqpName = Annotated[str, BeforeValidator(unwrap), AfterValidator(_amqp_name)]
Binding = Annotated[str, BeforeValidator(unwrap), AfterValidator(_binding)]
ArgumentValue = Annotated[str | int | bool, BeforeValidator(_argument_value)]
BrokerUrl = Annotated[Secret, AfterValidator(_broker_url)]
TlsFile = Annotated[FsPath, AfterValidator(_readable_file)]


class AmqpQueue(Section):
    """One ``[[upstream.amqp.queues]]``: a durable queue declared and bound at start."""

    name: AmqpName
    bindings: Annotated[tuple[Binding, ...], Field(strict=False), at_least_one("binding")]
    type: Annotated[Literal["classic", "quorum"], BeforeValidator(unwrap)] = "classic"
    arguments: Annotated[dict[str, ArgumentValue], AfterValidator(_x_arguments)] = Field(
        default_factory=dict
    )


class AmqpUpstream(Section):
    """``[upstream.amqp]``: the broker, the exchange, and how publishing behaves."""

    url: BrokerUrl | None = None
    urls: Annotated[tuple[BrokerUrl, ...], Field(strict=False)] = ()
    exchange: AmqpName = "floor.events"
    encoding: Annotated[Literal["protobuf", "json"], BeforeValidator(unwrap)] = "protobuf"
    window: int = Field(default=256, ge=1, le=10_000)
    publish_timeout_s: float = Field(default=15.0, allow_inf_nan=False, gt=0, le=600)
    connect_timeout_s: float = Field(default=10.0, allow_inf_nan=False, gt=0, le=600)
    heartbeat_s: int = Field(default=30, ge=0, le=3600)
    reconnect_min_s: float = Field(default=0.5, allow_inf_nan=False, gt=0)
    reconnect_max_s: float = Field(default=30.0, allow_inf_nan=False, gt=0)
    ca_file: TlsFile | None = None
    cert_file: TlsFile | None = None
    key_file: TlsFile | None = None
    app_id: Annotated[Plain, AfterValidator(_short_string)] = "floor-agent"
    declare: bool = True
    queues: Annotated[tuple[AmqpQueue, ...], Field(strict=False)] = ()

    def broker_urls(self) -> tuple[str, ...]:
        """The broker URLs as plain strings, in the order to try them."""
        urls = self.urls if self.url is None else (self.url,)
        return tuple(url.get_secret_value() for url in urls)


def amqp_problems(amqp: AmqpUpstream, where: str) -> list[Problem]:
    """The rules that span several keys of ``amqp``, whose key path is ``where``."""
    problems: list[Problem] = []

    def add(key: str, reason: str) -> None:
        problems.append(Problem(key=f"{where}.{key}", reason=reason))

    if amqp.url is not None and amqp.urls:
        add("urls", "url is set too: set url (one broker) or urls (a cluster), not both")
    elif amqp.url is None and not amqp.urls:
        if "urls" in amqp.model_fields_set:
            add("urls", "at least one broker URL is required")
        else:
            add("url", "required key is missing: set url (one broker) or urls (a cluster)")
    if amqp.reconnect_max_s < amqp.reconnect_min_s:
        reason = f"must be at least reconnect_min_s ({amqp.reconnect_min_s:g})"
        add("reconnect_max_s", f"{reason}, got {amqp.reconnect_max_s:g}")
    named = [("url", amqp.url)] + [(f"urls[{n}]", url) for n, url in enumerate(amqp.urls)]
    plain = [key for key, url in named if url is not None and not _is_tls(url)]
    for key in TLS_FILES:
        if plain and getattr(amqp, key) is not None:
            add(key, f"only used with amqps:// brokers, but {plain[0]} is amqp://")
    if amqp.key_file is not None and amqp.cert_file is None:
        add("key_file", "key_file is set without cert_file (the key may also be in cert_file)")
    seen: dict[str, str] = {}
    for n, queue in enumerate(amqp.queues):
        key = f"queues[{n}].name"
        first = seen.setdefault(queue.name, key)
        if first != key:
            add(key, f"duplicate queue name {queue.name!r} (also at {where}.{first})")
    return problems


def _is_tls(url: Secret) -> bool:
    return urlsplit(url.get_secret_value()).scheme == "amqps"
