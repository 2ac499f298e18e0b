"""The one retry delay of the agent: jittered exponential, bounded, reset on success."""

from __future__ import annotations

import random

import pytest

from agent.backoff import Backoff


def test_backoff_grows_with_jitter_up_to_the_ceiling_and_resets() -> None:
    backoff = Backoff(0.5, 30.0, random.Random(1))
    delays = [backoff.next() for _ in range(12)]
    assert all(0.5 <= d <= 30.0 for d in delays)
    ceilings = [min(30.0, 0.5 * 2**n) for n in range(12)]
    assert all(d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays[6:]) > 8  # it does grow
    assert len(set(delays)) == len(delays)  # and it is jittered
    backoff.reset()
    assert backoff.next() == 0.5


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (2.0, 1.0), (-1.0, 1.0)])
def test_backoff_refuses_bounds_that_make_no_sense(low: float, high: float) -> None:
    with pytest.raises(ValueError, match="0 < low <= high"):
        Backoff(low, high)


def test_backoff_with_equal_bounds_is_constant() -> None:
    backoff = Backoff(2.0, 2.0, random.Random(3))
    assert {backoff.next() for _ in range(5)} == {2.0}
