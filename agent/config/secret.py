"""Secrets: values that come from the environment or a file, and never show.

Syntax. Inside ``[upstream]`` and ``[http]`` (at any depth, in arrays too) a
string value may be written as an inline table with exactly one key::

    password = { env = "FLOOR_AGENT_AMQP_PASSWORD" }
    token    = { file = "/run/credentials/floor-agent/hub-token" }

Elsewhere the same form is resolved only under a secret-like key
(``password``, ``token``, ``secret``, or a name ending in ``_password``,
``_token`` or ``_secret``); the schema has no such key outside those two
sections today, so there it is then reported as an unknown key.

Rules.
- Resolution happens once, at load, before validation. ``env`` reads the
  variable; ``file`` reads the file as UTF-8 and removes trailing line
  breaks. A missing variable or an unreadable file is a ``Problem`` naming
  the key and the variable or file, never a value.
- A resolved value becomes a ``Secret`` that remembers where it came from,
  so ``dump_toml`` writes the reference back, not the value. A literal
  string under a secret-like key becomes a ``Secret`` too (no reference).
- ``Secret`` is pydantic's ``SecretStr``: ``repr``, ``str`` and
  ``model_dump`` show ``**********``; ``get_secret_value()`` gives the value.
  A later typed model declares ``password: Secret`` and accepts either.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from .errors import Problem, key_path

RefKind = Literal["env", "file"]
SECRET_SECTIONS = frozenset({"upstream", "http"})
_SECRET_KEY = re.compile(r"(?:.*_)?(?:password|token|secret)")


class Secret(SecretStr):
    """A string that never shows its value; ``reference`` says where it was read."""

    def __init__(self, value: str, reference: tuple[RefKind, str] | None = None) -> None:
        super().__init__(value)
        self.reference = reference


def is_secret_key(name: str) -> bool:
    return _SECRET_KEY.fullmatch(name) is not None


def unwrap(value: object) -> object:
    """A ``Secret`` read into a plain (non-secret) setting becomes its string."""
    return value.get_secret_value() if isinstance(value, Secret) else value


def resolve_secrets(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """A copy of ``data`` with every secret reference read; and what went wrong."""
    problems: list[Problem] = []
    resolved = {
        key: _walk(value, (key,), key in SECRET_SECTIONS, key, problems)
        for key, value in data.items()
    }
    return resolved, problems


def _walk(
    value: Any, loc: tuple[int | str, ...], in_scope: bool, key: str, problems: list[Problem]
) -> Any:
    secret_key = is_secret_key(key)
    if isinstance(value, dict):
        if (in_scope or secret_key) and len(value) == 1 and next(iter(value)) in ("env", "file"):
            return _read(value, loc, problems)
        return {k: _walk(v, (*loc, k), in_scope, k, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*loc, n), in_scope, key, problems) for n, v in enumerate(value)]
    if secret_key and isinstance(value, str):
        return Secret(value)
    return value


def _read(ref: dict[str, Any], loc: tuple[int | str, ...], problems: list[Problem]) -> Any:
    kind: RefKind = "env" if "env" in ref else "file"
    name = ref[kind]
    where = key_path(loc)
    if not isinstance(name, str) or not name:
        what = "an environment variable" if kind == "env" else "a file"
        problems.append(Problem(key=f"{where}.{kind}", reason=f"must be the name of {what}"))
        return ref
    if kind == "env":
        value = os.environ.get(name)
        if value is None:
            problems.append(Problem(key=where, reason=f"environment variable {name} is not set"))
            return ref
        return Secret(value, ("env", name))
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        reason = f"cannot read secret file {name}: {exc.strerror or exc}"
        problems.append(Problem(key=where, reason=reason))
        return ref
    except UnicodeDecodeError:
        problems.append(Problem(key=where, reason=f"secret file {name} is not UTF-8 text"))
        return ref
    return Secret(text.rstrip("\r\n"), ("file", name))
