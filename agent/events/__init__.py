"""Canonical events: the protocol-neutral facts the agent stores and publishes.

``envelope`` holds the data types (:class:`Event`, :class:`StoredEvent`,
:class:`Channel`) and the JSON envelope; the catalogue of names lives in
``catalogue``.
"""

from .envelope import Channel, Event, StoredEvent

__all__ = ["Channel", "Event", "StoredEvent"]
