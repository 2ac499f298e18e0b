"""The per-client request-rate limit: one token bucket per client, in bounded memory.

A bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per
second; a request takes one token, or is refused and told how long until a
token is there (the ``Retry-After`` of the 429).

Rules.
- Time is an argument (``now``, seconds on a monotonic clock); nothing here
  reads a clock, sleeps or does I/O, so tests use plain numbers.
- At most ``max_clients`` buckets are kept, least recently used first out.
  Forgetting a bucket can only make its client's next request allowed, so
  it is harmless for well-behaved clients; an attacker who could cycle
  through that many addresses is outside the allow-list anyway.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

MAX_CLIENTS = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets keyed by client; ``take`` says yes (``None``) or how long to wait."""

    def __init__(self, *, rate: float, burst: int, max_clients: int = MAX_CLIENTS) -> None:
        if rate <= 0 or burst < 1 or max_clients < 1:
            raise ValueError("rate > 0, burst >= 1 and max_clients >= 1 are required")
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, now: float) -> float | None:
        """Take one token for ``key`` at ``now``: ``None`` if allowed, else seconds to wait."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), at=now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.at)  # a clock that steps back never adds tokens
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.at = max(bucket.at, now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / self.rate


def retry_after(wait_s: float) -> str:
    """The ``Retry-After`` header value for a wait: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))
