"""Reading a configuration: file -> TOML -> secrets -> schema -> cross-checks.

Every failure becomes one ``ConfigError`` listing all the problems found at
the furthest stage reached (a TOML syntax error stops there; schema and
secret problems are reported together; cross-checks run only on a file
whose keys are all valid). Pydantic's messages are kept, with what was
found added for type and range errors and a suggestion for a misspelt key;
input values are never quoted, so no secret can leak into a message.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails

from .errors import ConfigError, Problem, key_path
from .schema import LINE_MODELS, AgentConfig
from .secret import resolve_secrets

_TOML_WHERE = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")
_TOML_TYPES: tuple[tuple[type, str], ...] = (
    (SecretStr, "a secret string"),
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (dict, "a table"),
    (list, "an array"),
)
_RANGE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})


def load_config(path: str | Path) -> AgentConfig:
    """Read and check a configuration file; ``ConfigError`` names file, key and reason."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        reason = f"cannot read the file: {exc.strerror or exc}"
        raise ConfigError(source, [Problem(key="", reason=reason)]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text (bad byte at offset {exc.start})"
        raise ConfigError(source, [Problem(key="", reason=reason)]) from exc
    return parse_config(text, source)


def parse_config(text: str, source: str = "<config>") -> AgentConfig:
    """Check a configuration given as TOML text; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [_syntax_problem(str(exc))]) from exc
    resolved, secret_problems = resolve_secrets(data)
    failed = tuple(problem.key for problem in secret_problems)
    try:
        config = AgentConfig.model_validate(resolved, context={"source": source})
    except ValidationError as exc:
        found = [p for p in problems_of(exc) if not _under(p.key, failed)]
        raise ConfigError(source, secret_problems + found) from exc
    except ConfigError as exc:
        raise ConfigError(source, secret_problems + list(exc.problems)) from exc
    if secret_problems:
        raise ConfigError(source, secret_problems)
    return config


def problems_of(exc: ValidationError) -> list[Problem]:
    """pydantic's errors as problems: a key path and a reason each."""
    return [_problem(error) for error in exc.errors()]


def _under(key: str, roots: tuple[str, ...]) -> bool:
    """Whether ``key`` is one of ``roots`` or inside one (a failed secret's own noise)."""
    return any(key == root or key.startswith((f"{root}.", f"{root}[")) for root in roots)


def _syntax_problem(message: str) -> Problem:
    match = _TOML_WHERE.search(message)
    if match is None:
        return Problem(key="", reason=f"invalid TOML: {message}")
    where = f"line {match[1]}, column {match[2]}" if match[1] else "end of file"
    return Problem(key=where, reason=f"invalid TOML: {message[: match.start()]}")


def _problem(error: ErrorDetails) -> Problem:
    loc = _untagged(error["loc"])
    kind = error["type"]
    reason = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if kind in ("union_tag_not_found", "union_tag_invalid"):  # [[lines]]'s protocol
        loc = (*loc, "protocol")
        protocol = value.get("protocol") if isinstance(value, dict) else None
        kind, value = ("missing", None) if protocol is None else ("literal_error", protocol)
        reason = "Input should be " + " or ".join(repr(tag) for tag in LINE_MODELS)
    if kind == "model_attributes_type":
        kind = "model_type"
    if kind == "missing":
        reason = "required key is missing"
    elif kind == "extra_forbidden":
        reason = "unknown key" + _suggestion(error["loc"])
    elif kind in ("model_type", "is_instance_of"):  # the only instance check is for Path
        what = "a table" if kind == "model_type" else "a path (a string)"
        reason = f"Input should be {what} (got {_toml_type(value)})"
    elif kind.endswith("_type"):
        reason += f" (got {_toml_type(value)})"
    elif kind in _RANGE_ERRORS or kind == "literal_error":
        reason += f", got {value!r}"
    return Problem(key=key_path(loc), reason=reason)


def _toml_type(value: Any) -> str:
    for kind, name in _TOML_TYPES:
        if isinstance(value, kind):
            return name
    return "a date or time"


def _untagged(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """``loc`` without the protocol tag pydantic puts after ``lines, n``."""
    if len(loc) > 2 and loc[0] == "lines" and isinstance(loc[1], int) and loc[2] in LINE_MODELS:
        return loc[:2] + loc[3:]
    return loc


def _suggestion(loc: tuple[int | str, ...]) -> str:
    """The closest known key; an unknown key's parents are all model fields or indexes."""
    fields = AgentConfig.model_fields
    for part in loc[:-1]:
        if part == "lines":  # a union: the protocol tag after the index names the model
            continue
        if isinstance(part, str) and part in LINE_MODELS:
            fields = LINE_MODELS[part].model_fields
        elif isinstance(part, str):
            fields = _model_in(fields[part].annotation).model_fields
    close = difflib.get_close_matches(str(loc[-1]), list(fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_in(annotation: Any) -> type[BaseModel]:
    """``Line`` from ``tuple[Line, ...]``, ``Store`` from ``Store``."""
    candidates = (annotation, *get_args(annotation))
    return next(c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel))
