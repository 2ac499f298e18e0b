"""``Backoff``: the one retry delay of the agent, jittered exponential ("full jitter").

Every retry loop uses it: a poller reopening its port, a poller waiting for
the store, a sink reconnecting upstream. Delays grow from ``low`` doubling
per attempt up to ``high``, each drawn uniformly between ``low`` and that
ceiling, so many lines or sinks that failed together do not retry together.
``reset()`` after a success starts again from ``low``.
"""

from __future__ import annotations

import random

MAX_DOUBLINGS = 32


class Backoff:
    """Jittered exponential delays between ``low`` and ``high`` seconds."""

    def __init__(self, low: float, high: float, rng: random.Random | None = None) -> None:
        if not 0 < low <= high:
            raise ValueError(f"need 0 < low <= high, got {low} and {high}")
        self.low = low
        self.high = high
        self.attempt = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        """The delay before the next attempt (and count this one)."""
        ceiling = min(self.high, self.low * 2**self.attempt)
        self.attempt = min(self.attempt + 1, MAX_DOUBLINGS)
        return self._rng.uniform(self.low, ceiling)

    def reset(self) -> None:
        self.attempt = 0
