"""What every ``[[lines]]`` section has, whatever its protocol: the shared keys and machines.

``[[lines]]`` is a union discriminated by ``protocol`` (schema.py): each
protocol's adapter defines its own model on top of ``LineBase``
(``agent/lines/sas/config.py``, ``agent/lines/gapi/config.py``) with its
``protocol`` literal, its default ``baud`` and its own keys. The keys here
mean the same on every line; docs/configuration.md documents each one.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from .base import Section, at_least_one
from .endpoints import check_port

_NAME = re.compile(r"[A-Za-z0-9._-]+")
_MACHINE_ID = re.compile(r"[A-Za-z0-9_-]+")


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"use only letters, digits, '.', '_' and '-', got {value!r}")
    return value


def _machine_id(value: str) -> str:
    if not _MACHINE_ID.fullmatch(value) or len(value) > 64:
        raise ValueError(
            f"use 1-64 letters, digits, '_' and '-' (no '.': the id is the last "
            f"word of AMQP routing keys), got {value!r}"
        )
    return value


Name = Annotated[str, AfterValidator(_name)]
NAME_PATTERN = _NAME


class Machine(Section):
    address: int = Field(ge=1, le=247)
    id: Annotated[str, AfterValidator(_machine_id)]
    denomination_cents: int | None = Field(default=None, ge=1)
    model: str | None = None


class LineBase(Section):
    """The keys every line has; a protocol's model narrows ``protocol``, defaults ``baud``
    and adds its own keys."""

    name: Name
    port: Annotated[str, AfterValidator(check_port)]
    protocol: str
    """Each protocol's model narrows it to its literal (the union's tag)."""
    baud: int = Field(gt=0, le=4_000_000)
    """Each protocol's model sets its default."""
    poll_interval_ms: int = Field(default=200, ge=40, le=5000)
    reply_timeout_ms: int = Field(default=100, ge=10, le=5000)
    retries: int = Field(default=2, ge=0, le=5)
    offline_after_failures: int = Field(default=30, ge=1)
    offline_after_s: float = Field(default=5.0, allow_inf_nan=False, gt=0)
    meter_interval_s: float = Field(default=60.0, allow_inf_nan=False, gt=0)
    machines: Annotated[
        tuple[Machine, ...], Field(strict=False), at_least_one("[[lines.machines]]")
    ]
