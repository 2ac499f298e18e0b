"""docs/events.md stays in step with the catalogue (the exception table and every name)."""

from __future__ import annotations

import re
from pathlib import Path

from agent.events.catalogue import EVENTS
from agent.lines.sas.codes import EXCEPTION_EVENTS

DOC = Path(__file__).resolve().parents[3] / "docs" / "events.md"
ROW = re.compile(r"^\| ([0-9A-F]{2}) \| [^|]+ \| `(\w+)` \| (\w+) \| ([^|]*) \|")
FIXED = re.compile(r'`(\w+): ("[^"]*"|\w+)`')


def _value(text: str) -> object:
    if text.startswith('"'):
        return text.strip('"')
    if text in ("true", "false"):
        return text == "true"
    return int(text)


def test_the_exception_table_matches_the_catalogue() -> None:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            code, event, channel, fixed = match.groups()
            data = {key: _value(value) for key, value in FIXED.findall(fixed)}
            rows[int(code, 16)] = (event, channel, data)
    expected = {
        code: (entry.event, entry.channel.value, dict(entry.data))
        for code, entry in EXCEPTION_EVENTS.items()
    }
    assert rows == expected


def test_every_event_name_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in EVENTS if f"`{name}`" not in text]
    assert missing == []
