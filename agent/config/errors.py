"""The one error a configuration can raise, and how problems are spelled.

Every problem is a key path and a reason; ``ConfigError`` prints one per
line as ``FILE: key.path[0].sub: reason`` (or ``FILE: reason`` when the
problem is the whole file). Its message never contains a secret's value:
problems name keys, variables and files, never what was read from them.

    Exception
     └── ConfigError   bad file, bad key, unresolvable secret; exit EX_CONFIG

``EX_CONFIG`` (78, sysexits.h) is what the process exits with, so systemd
sees a configuration error (``RestartPreventExitStatus=78``) and does not
restart in a loop.

``ConfigError`` is deliberately not a ``ValueError``: the cross-checks raise
it from inside pydantic validators, and pydantic would swallow a
``ValueError`` into a key-less message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

EX_CONFIG = 78
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with a configuration: where (a key path, or "") and why."""

    key: str
    reason: str

    def line(self, source: str) -> str:
        return f"{source}: {self.key}: {self.reason}" if self.key else f"{source}: {self.reason}"


class ConfigError(Exception):
    """A configuration that cannot be used; ``problems`` lists every known problem."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(problem.line(source) for problem in self.problems))


def key_path(loc: Sequence[int | str]) -> str:
    """``("lines", 0, "machines", 2, "id")`` -> ``"lines[0].machines[2].id"``.

    Keys that are not bare TOML keys are quoted, as TOML would write them.
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            path += f".{name}" if path else name
    return path
