"""The protocol cores stay sans-I/O and small (protocols/__init__.py, STYLE.md).

Every module under ``protocols/`` is parsed (not imported) and may not
import I/O, clocks, logging, threads, or the agent/simulator layers that sit
on top of it, whether as ``import X`` or ``from X import``. Relative imports
stay inside the package and are allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = ROOT / "protocols"
FORBIDDEN = frozenset(
    {"asyncio", "serial", "sqlite3", "logging", "time", "threading", "socket", "agent", "simulator"}
)
MAX_LINES = 400
MODULES = sorted(PROTOCOLS.rglob("*.py"))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def forbidden_imports(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, module) of every absolute import of a forbidden top-level package."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in FORBIDDEN]
    return found


def test_protocols_package_has_modules_to_check() -> None:
    assert PROTOCOLS / "sas" / "deframer.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=_relative)
def test_protocol_module_imports_no_io_clock_logging_or_upper_layer(path: Path) -> None:
    found = forbidden_imports(path.read_text(encoding="utf-8"), str(path))
    messages = [f"{_relative(path)}:{line} imports {name!r}" for line, name in found]
    assert not messages, "sans-I/O core imports a forbidden module:\n" + "\n".join(messages)


@pytest.mark.parametrize("path", MODULES, ids=_relative)
def test_protocol_module_stays_under_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_relative(path)} has {lines} lines (limit {MAX_LINES})"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("import asyncio", [(1, "asyncio")], id="import"),
        pytest.param("import os, serial.tools", [(1, "serial.tools")], id="dotted-in-list"),
        pytest.param("\nfrom time import monotonic", [(2, "time")], id="from-import"),
        pytest.param("from agent.config import X", [(1, "agent.config")], id="upper-layer"),
        pytest.param("def f():\n    import logging", [(2, "logging")], id="nested"),
        pytest.param("from datetime import time", [], id="datetime-time-is-fine"),
        pytest.param("from . import time", [], id="relative-is-fine"),
        pytest.param("import timeit, serialize", [], id="prefix-names-are-fine"),
    ],
)
def test_the_import_check_itself_finds_what_it_should(
    source: str, expected: list[tuple[int, str]]
) -> None:
    assert forbidden_imports(source) == expected
