"""The store's exceptions.

::

    StoreError                      anything the store reports
     ├── StoreUnavailable           an append (or cursor advance) was NOT made durable:
     │    │                         the commit failed (I/O error, disk full, ...).
     │    │                         Do not acknowledge the machine; retry later.
     │    ├── StoreFull             the size bound or the disk is full (see when_full)
     │    └── StoreClosed           the store is closing or closed
     ├── StoreSchemaError           the file was written by a newer agent, or is
     │                              not a floor-agent store: stop with this message
     └── UnknownSinkError           a cursor call named a sink never registered (a bug)

Pollers catch :class:`StoreUnavailable` (or :class:`StoreError`) around
``append`` and keep the machine's events unacknowledged; nothing else needs
special handling. Every error carries the store's ``path`` and a ``reason``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SQLITE_FULL = 13


class StoreError(Exception):
    """Base of every store error."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class StoreUnavailable(StoreError):  # noqa: N818 - names a state pollers match on
    """The events (or cursor) were not committed; nothing was acknowledged."""


class StoreFull(StoreUnavailable):
    """The store is at its size bound, or the disk is full."""


class StoreClosed(StoreUnavailable):
    """The store is closed (or closing) and takes no more writes."""


class StoreSchemaError(StoreError):
    """The database was written by a newer agent or is not a floor-agent store."""


class UnknownSinkError(StoreError, KeyError):
    """A sink name that was never registered with ``register_sinks``."""

    def __str__(self) -> str:
        return Exception.__str__(self)


def is_full_error(exc: BaseException) -> bool:
    """SQLite said "database or disk is full" (by code, or by message when injected)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF == SQLITE_FULL:
        return True
    return isinstance(exc, sqlite3.Error) and "database or disk is full" in str(exc)
