"""The durable SQLite outbox: the only queue between the serial lines and upstream.

Read ``store`` first (the public ``Store``), then ``writer`` (group commit),
``reader``, ``schema`` (tables and migrations), ``integrity`` (checks at
open), ``maintenance`` (retention and the size policy), ``alarms`` and
``errors``. docs/store.md explains the durability rules and the policies.
"""

from .alarms import STORE_CORRUPTED, STORE_FULL, STORE_RECOVERED
from .errors import (
    StoreClosed,
    StoreError,
    StoreFull,
    StoreSchemaError,
    StoreUnavailable,
    UnknownSinkError,
)
from .integrity import MovedAside
from .maintenance import MaintenanceReport
from .options import StoreHooks, StoreOptions, StoreStats, WhenFull
from .reader import Depth
from .store import Store

__all__ = [
    "STORE_CORRUPTED",
    "STORE_FULL",
    "STORE_RECOVERED",
    "Depth",
    "MaintenanceReport",
    "MovedAside",
    "Store",
    "StoreClosed",
    "StoreError",
    "StoreFull",
    "StoreHooks",
    "StoreOptions",
    "StoreSchemaError",
    "StoreStats",
    "StoreUnavailable",
    "UnknownSinkError",
    "WhenFull",
]
