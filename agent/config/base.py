"""What every section model is built from: the ``Section`` base and shared field types.

Rules: a ``Section`` forbids unknown keys, is frozen and strict (TOML types
are not coerced; only an integer is accepted for a float) and never quotes
its input in pydantic's own messages. ``Plain`` and ``FsPath`` accept a
``Secret`` too (a ``{ env = ... }`` or ``{ file = ... }`` reference inside
``[upstream]`` or ``[http]``) and take its plain string, because the setting
is not secret. Arrays of tables are tuples; TOML gives lists, so tuple
fields are declared with ``Field(strict=False)`` (their items stay strict).

This module imports nothing else from the package, so every section module
(``schema.py``, ``upstream.py``) can build on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from .secret import unwrap


def _path(value: object) -> object:
    value = unwrap(value)
    if isinstance(value, str):
        if not value:
            raise ValueError("a path cannot be empty")
        return Path(value)
    return value


def at_least_one(what: str) -> Any:
    """A validator for a tuple field that must not be empty; ``what`` names an item."""

    def check(items: tuple[Any, ...]) -> tuple[Any, ...]:
        if not items:
            raise ValueError(f"at least one {what} is required")
        return items

    return AfterValidator(check)


FsPath = Annotated[Path, BeforeValidator(_path)]
Plain = Annotated[str, BeforeValidator(unwrap)]
FreeTable = dict[str, Any]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, hide_input_in_errors=True)
