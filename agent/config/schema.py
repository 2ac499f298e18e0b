"""The configuration schema: one frozen pydantic model per TOML section.

Rules: every model is a ``Section`` (base.py): it forbids unknown keys, is
frozen and strict (TOML types are not coerced: ``"200"`` is not an integer;
only an integer is accepted for a float). ``[upstream.amqp]`` has its own
module, upstream.py; ``[[lines]]`` is a union discriminated by ``protocol``
whose models live with their adapters (line_base.py). Key names are stable;
docs/configuration.md documents each one and a test checks that it does.
Defaults that depend on other keys (``wakeup`` on ``port``) are filled in
before validation, so a loaded config always holds concrete values. Checks that
span several keys live in ``checks.py`` and run last. The access keys of
``[http]`` (allow-list, tokens, JWT) are typed in http_auth.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, model_validator

from agent.lines.gapi.config import GapiLine
from agent.lines.sas.config import SasLine

from .base import FreeTable, FsPath, Plain, Section, at_least_one
from .checks import cross_check
from .endpoints import check_listen
from .errors import ConfigError
from .http_auth import LOOPBACK, AnonymousRole, Cidr, HttpJwt, HttpToken
from .line_base import NAME_PATTERN, Machine, Name
from .secret import unwrap
from .upstream import AmqpUpstream

DEFAULT_DATA_DIR = Path("/var/lib/floor-agent")
STORE_FILE = "events.sqlite"
AUDIT_FILE = "audit.sqlite"

_CURRENCY = re.compile(r"[A-Z]{3}")


def _currency(value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise ValueError(f"expected an ISO 4217 code such as 'USD', got {value!r}")
    return value


def _only_full(value: object) -> object:
    if value != "full":
        raise ValueError(
            "only 'full' is allowed: an event must be on disk (synchronous=FULL) before its "
            "machine is acknowledged, and a lighter mode can lose acknowledged events on a "
            "power cut"
        )
    return value


class AgentSettings(Section):
    id: Annotated[Name, Field(max_length=64)]  # part of every event id (AMQP: <= 255 bytes)
    data_dir: FsPath = DEFAULT_DATA_DIR
    currency: Annotated[str, AfterValidator(_currency)] = "USD"


Line = Annotated[SasLine | GapiLine, Field(discriminator="protocol")]
"""One ``[[lines]]`` section: the model of its ``protocol`` (line_base.py)."""

LINE_MODELS: dict[str, type[SasLine | GapiLine]] = {"sas": SasLine, "gapi": GapiLine}
"""Each ``protocol`` value and its line model, in the order messages list them."""


class Store(Section):
    path: FsPath | None = None
    retention_days: int = Field(default=7, ge=0, le=3650)
    max_size_mb: int = Field(default=1024, ge=1)
    when_full: Literal["stop_acknowledging", "drop_delivered_first"] = "drop_delivered_first"
    group_commit_ms: int = Field(default=2, ge=0, le=1000)
    sync: Annotated[Literal["full"], BeforeValidator(_only_full)] = "full"


class Upstream(Section):
    amqp: AmqpUpstream | None = None
    wss: FreeTable | None = None
    webhooks: FreeTable | None = None


class Http(Section):
    """``[http]``: where the local server listens, TLS, and who may use it (http_auth.py)."""

    listen: Annotated[Plain, AfterValidator(check_listen)] = "127.0.0.1:8080"
    tls_cert: FsPath | None = None
    tls_key: FsPath | None = None
    allow: Annotated[tuple[Cidr, ...], Field(strict=False), at_least_one("network")] = LOOPBACK
    trusted_proxies: Annotated[tuple[Cidr, ...], Field(strict=False)] = ()
    rate_limit_per_s: float = Field(default=20.0, allow_inf_nan=False, gt=0, le=100_000)
    rate_burst: int = Field(default=100, ge=1, le=1_000_000)
    anonymous_role: Annotated[AnonymousRole, BeforeValidator(unwrap)] = "viewer"
    audit_retention_days: int = Field(default=90, ge=1, le=3650)
    tokens: Annotated[tuple[HttpToken, ...], Field(strict=False)] = ()
    jwt: HttpJwt | None = None


Level = Literal["debug", "info", "warning", "error"]


def _logger_names(levels: dict[str, Level]) -> dict[str, Level]:
    for name in levels:
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(f"a logger name such as 'agent.sinks.amqp', got {name!r}")
    return levels


class Logging(Section):
    level: Level = "info"
    format: Literal["text", "json"] = "text"
    journal: bool = False
    modules: Annotated[dict[str, Level], AfterValidator(_logger_names)] = Field(
        default_factory=dict
    )


class AgentConfig(Section):
    """A whole, checked configuration file."""

    agent: AgentSettings
    lines: Annotated[tuple[Line, ...], Field(strict=False), at_least_one("[[lines]]")]
    store: Store = Store()
    upstream: Upstream = Upstream()
    http: Http = Http()
    logging: Logging = Logging()

    @property
    def store_path(self) -> Path:
        """The SQLite file: ``store.path``, relative to ``agent.data_dir`` unless absolute."""
        return self.agent.data_dir / (self.store.path or STORE_FILE)

    @property
    def audit_path(self) -> Path:
        """The HTTP audit log's SQLite file: ``audit.sqlite`` beside the event store."""
        return self.store_path.parent / AUDIT_FILE

    def machines(self) -> Iterator[tuple[Line, Machine]]:
        """Every machine with its line, in file order."""
        for line in self.lines:
            for machine in line.machines:
                yield line, machine

    @model_validator(mode="after")
    def _cross_check(self, info: ValidationInfo) -> Self:
        problems = cross_check(self)
        if problems:
            source = (info.context or {}).get("source", "<config>")
            raise ConfigError(source, problems)
        return self
