"""Logging set-up from the ``[logging]`` section: text or JSON lines, optionally the journal.

Only the agent logs; the protocol core never does. Messages carry the line,
port and machine they are about; secrets never reach a log record because
the configuration keeps them in ``Secret`` values that print as ``**********``.

A log call about a line, machine or event passes it as a field too, e.g.
``log.warning("line %s: ...", name, extra={"line": name})``: the journal
gets it as ``LINE=`` (``MACHINE=``, ``EVENT=``; ``journalctl LINE=bank-a``),
JSON lines as ``"line"``; the text format shows the message only.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from datetime import UTC, datetime

from .config import Logging

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
FIELDS = ("line", "machine", "event")
"""The structured fields a log call may pass in ``extra``."""


class JournalFields(logging.Filter):
    """Copies the ``extra`` fields to upper-case attributes (journald takes only those).

    systemd's ``JournalHandler`` sends every record attribute as a field under
    its own name, and journald drops names that are not upper case.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                setattr(record, name.upper(), str(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, separators=(",", ":"))


def configure(settings: Logging) -> None:
    handler: logging.Handler
    no_journal = False
    if settings.journal:
        try:
            # by name: untyped, optional, and the checkout's systemd/ (the unit) must not shadow it
            journal = importlib.import_module("systemd.journal")
            handler = journal.JournalHandler(SYSLOG_IDENTIFIER="floor-agent")
            handler.addFilter(JournalFields())
        except ImportError:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter(TEXT_FORMAT))
            no_journal = True
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            JsonFormatter() if settings.format == "json" else logging.Formatter(TEXT_FORMAT)
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    for name, level in settings.modules.items():
        logging.getLogger(name).setLevel(level.upper())
    if no_journal:  # said once the handler is in place, so it reaches stderr formatted
        logging.getLogger("agent").warning(
            "logging.journal is set but systemd-python is not installed; logging to stderr"
        )
