"""Journald logging: LINE, MACHINE and EVENT fields from ``extra``, and the fallbacks."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from agent.config import Logging
from agent.logs import JournalFields, JsonFormatter, configure


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def record(**extra: Any) -> logging.LogRecord:
    logger = logging.getLogger("agent.poller")
    return logger.makeRecord(
        "agent.poller", logging.WARNING, __file__, 1, "line %s: gone", ("a",), None, extra=extra
    )


def test_fields_become_upper_case_attributes() -> None:
    rec = record(line="bank-a", machine="Slot-A1", event="doorOpened")
    assert JournalFields().filter(rec)
    fields = (rec.__dict__[name] for name in ("LINE", "MACHINE", "EVENT"))
    assert tuple(fields) == ("bank-a", "Slot-A1", "doorOpened")
    plain = record()
    assert JournalFields().filter(plain)
    assert not hasattr(plain, "LINE")


def test_json_lines_carry_the_fields() -> None:
    entry = json.loads(JsonFormatter().format(record(line="bank-a", machine="Slot-A1")))
    assert entry["line"] == "bank-a"
    assert entry["machine"] == "Slot-A1"
    assert "event" not in entry
    assert entry["message"] == "line a: gone"


def test_journal_handler_sends_the_fields() -> None:
    if importlib.util.find_spec("systemd.journal") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-python is not installed in CI (scripts/bootstrap)")
        pytest.skip("systemd-python is not installed (the systemd extra)")
    configure(Logging(journal=True))
    handler = logging.getLogger().handlers[0]
    assert type(handler).__name__ == "JournalHandler"
    sent: list[tuple[str, dict[str, Any]]] = []
    # positional: the record's own attributes (``message`` among them) come as keywords
    handler.send = lambda *text, **fields: sent.append((text[0], fields))  # type: ignore[attr-defined]
    logging.getLogger("agent.poller").warning(
        "line %s: port lost", "bank-a", extra={"line": "bank-a", "machine": "Slot-A1"}
    )
    [(message, fields)] = sent
    assert message == "line bank-a: port lost"
    assert fields["LINE"] == "bank-a"
    assert fields["MACHINE"] == "Slot-A1"
    assert "EVENT" not in fields
    assert fields["SYSLOG_IDENTIFIER"] == "floor-agent"


def test_without_systemd_python_the_journal_falls_back_to_stderr(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "systemd.journal", None)
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure(Logging(journal=True))
    [handler] = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    logging.getLogger("agent.poller").warning("line x: gone", extra={"line": "x"})
    assert "line x: gone" in stream.getvalue()
    assert "systemd-python is not installed" in stream.getvalue()


def test_levels_per_module_override_the_root_level() -> None:
    names = ("agent.sinks.amqp", "agent.http")
    saved = {name: logging.getLogger(name).level for name in names}
    try:
        configure(Logging(level="warning", modules={"agent.sinks.amqp": "debug"}))
        assert logging.getLogger().level == logging.WARNING
        assert logging.getLogger("agent.sinks.amqp").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("agent.sinks.amqp.broker").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("agent.http").isEnabledFor(logging.INFO)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_a_bad_logger_name_is_a_config_error() -> None:
    from agent.config import ConfigError, parse_config  # noqa: PLC0415 - local to the test

    text = (
        '[agent]\nid = "a"\n[[lines]]\nname = "l"\nport = "/dev/ttyS0"\nprotocol = "sas"\n'
        '[[lines.machines]]\naddress = 1\nid = "m"\n'
        '[logging]\nmodules = { "agent poller" = "debug" }\n'
    )
    with pytest.raises(ConfigError, match=r"logging\.modules.*logger name"):
        parse_config(text, "f.toml")
