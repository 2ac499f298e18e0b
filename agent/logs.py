"""Logging set-up from the ``[logging]`` section: text or JSON lines, optionally the journal.

Only the agent logs; the protocol core never does. Messages carry the line,
port and machine they are about; secrets never reach a log record because
the configuration keeps them in ``Secret`` values that print as ``**********``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from .config import Logging

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, separators=(",", ":"))


def configure(settings: Logging) -> None:
    handler: logging.Handler
    if settings.journal:
        try:
            from systemd.journal import JournalHandler  # type: ignore[import-not-found]  # noqa: PLC0415 - optional extra

            handler = JournalHandler(SYSLOG_IDENTIFIER="floor-agent")
        except ImportError:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter(TEXT_FORMAT))
            logging.getLogger("agent").warning(
                "logging.journal is set but systemd-python is not installed; logging to stderr"
            )
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            JsonFormatter() if settings.format == "json" else logging.Formatter(TEXT_FORMAT)
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
