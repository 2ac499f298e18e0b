"""The project documents itself: every link in the docs resolves inside the repository,
and nothing in the repository cites the team's files outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
OUTSIDE = re.compile(
    r"ARCHITECTURE\.md|ENVIRONMENT\.md|STYLE\.md|MISSION\.md|\.\./shared|shared/reference"
)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("doc", MARKDOWN, ids=_relative)
def test_every_relative_link_resolves(doc: Path) -> None:
    broken = [
        target
        for target in LINK.findall(doc.read_text(encoding="utf-8"))
        if "://" not in target and not (doc.parent / target).exists()
    ]
    assert broken == [], f"{_relative(doc)} links to missing files"


def test_nothing_in_the_repository_cites_files_outside_it() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".js", ".html", ".service", ""}:
            continue
        if path == Path(__file__) or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert found == []
