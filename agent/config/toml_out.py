"""``dump_toml``: write a configuration back as TOML that loads to an equal one.

A small emitter for the TOML subset a configuration can hold: tables,
arrays of tables, strings, integers, floats, booleans, dates and times,
arrays and inline tables (inside free-form upstream tables). Every key is
written, defaults included, so the output is also the effective
configuration. A ``Secret`` read from the environment or a file is written
as its reference (``{ env = "NAME" }``), never as its value; a secret that
was written literally in the file is written literally again. ``None``
means "not set" and is left out (TOML has no null).

Layout per table: plain values first, then ``[sub.tables]`` and
``[[arrays.of.tables]]`` in key order, recursively (TOML headers are
absolute, so a ``[store]`` after ``[[lines.machines]]`` is fine); keys that
are not bare are quoted.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import PurePath
from typing import Any

from .schema import AgentConfig
from .secret import Secret

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def dump_toml(config: AgentConfig) -> str:
    """The configuration as TOML text; ``parse_config`` of it gives an equal config."""
    out: list[str] = []
    _table(out, (), config.model_dump(exclude_none=True))
    return "\n".join(out).strip("\n") + "\n"


def _table(out: list[str], path: tuple[str, ...], table: dict[str, Any]) -> None:
    nested = {k for k, v in table.items() if isinstance(v, dict) or _is_table_array(v)}
    out.extend(f"{_key(k)} = {_value(v)}" for k, v in table.items() if k not in nested)
    for key, value in table.items():
        header = _dotted((*path, key))
        if isinstance(value, dict):
            out.extend(("", f"[{header}]"))
            _table(out, (*path, key), value)
        elif key in nested:
            for item in value:
                out.extend(("", f"[[{header}]]"))
                _table(out, (*path, key), item)


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, list | tuple) and all(isinstance(v, dict) for v in value) and bool(value)
    )


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(map(_key, path))


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, Secret):
        if value.reference is None:
            return _string(value.get_secret_value())
        kind, name = value.reference
        return f"{{ {kind} = {_string(name)} }}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str | PurePath):
        return _string(str(value))
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    return text if any(c in text for c in ".e") else f"{text}.0"


def _string(text: str) -> str:
    escaped = json.dumps(text, ensure_ascii=False)
    return _CONTROL.sub(lambda m: f"\\u{ord(m[0]):04x}", escaped)
