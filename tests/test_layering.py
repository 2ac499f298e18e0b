"""The protocol cores stay sans-I/O and small (protocols/__init__.py, docs/architecture.md "Rules").

Every module under ``protocols/`` is parsed (not imported) and may not
import I/O, clocks, logging, threads, or the agent/simulator layers that sit
on top of it, whether as ``import X`` or ``from X import``. Relative imports
stay inside the package and are allowed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
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


# --- the line seam (docs/architecture.md, "The seam") --------------------------------------

AGENT = ROOT / "agent"
SAS_ADAPTER = AGENT / "lines" / "sas"
SIMULATOR_SAS = ROOT / "simulator" / "sas"
OUTSIDE_THE_CORE = sorted(
    path
    for folder in ("agent", "simulator", "bench")
    for path in (ROOT / folder).rglob("*.py")
    if "__pycache__" not in path.parts
)


def imported_modules(source: str, filename: str = "<source>") -> list[tuple[int, str, str]]:
    """(line, module, name) of every absolute import; ``name`` is "" for ``import X``."""
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module, alias.name) for alias in node.names]
    return found


def _reaches_sas(module: str, name: str) -> bool:
    return (
        module == "protocols.sas"
        or module.startswith("protocols.sas.")
        or (module == "protocols" and name == "sas")
    )


def test_the_seam_check_finds_what_it_should() -> None:
    source = "import protocols.sas.session\nfrom protocols import sas\nfrom protocols.line import X"
    found = [(line, m) for line, m, n in imported_modules(source) if _reaches_sas(m, n)]
    assert found == [(1, "protocols.sas.session"), (2, "protocols")]


@pytest.mark.parametrize("path", OUTSIDE_THE_CORE, ids=_relative)
def test_only_the_sas_folders_import_the_sas_core(path: Path) -> None:
    """The poller, service, store, sinks, catalogue and HTTP layer know no protocol."""
    if SAS_ADAPTER in path.parents or SIMULATOR_SAS in path.parents:
        return
    found = [
        f"{_relative(path)}:{line} imports {module}"
        for line, module, name in imported_modules(path.read_text(encoding="utf-8"))
        if _reaches_sas(module, name)
    ]
    assert not found, "protocol-specific import outside a SAS folder:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "path", [p for p in OUTSIDE_THE_CORE if SAS_ADAPTER not in p.parents], ids=_relative
)
def test_nothing_but_the_agents_sas_adapter_reaches_into_the_sas_submodules(path: Path) -> None:
    found = [
        f"{_relative(path)}:{line} imports {module}"
        for line, module, _ in imported_modules(path.read_text(encoding="utf-8"))
        if module.startswith("protocols.sas.")
    ]
    assert not found, "use the public surface, protocols.sas.__all__:\n" + "\n".join(found)


def test_the_sas_public_surface_is_complete() -> None:
    from protocols import sas  # noqa: PLC0415 - the surface under test

    missing = [name for name in sas.__all__ if not hasattr(sas, name)]
    assert missing == []
    assert len(sas.__all__) == len(set(sas.__all__))


def _loaded_after(statement: str) -> list[str]:
    """The ``simulator`` modules a fresh interpreter holds after running ``statement``."""
    code = (
        f"import sys\ntry:\n    {statement}\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(' '.join(m for m in sys.modules if m.split('.')[0] == 'simulator'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stderr.split()


@pytest.mark.parametrize(
    "statement",
    [
        "import agent.service",
        "from agent.cli import build_parser; build_parser().parse_args(['run', '--config', 'a'])",
    ],
    ids=["agent.service", "floor-agent run"],
)
def test_the_daemon_does_not_load_the_simulator(statement: str) -> None:
    assert _loaded_after(statement) == []


def test_the_simulator_commands_do_load_it() -> None:
    loaded = _loaded_after("from agent.cli import main; main(['simulate', '--help'])")
    assert "simulator.cli" in loaded
