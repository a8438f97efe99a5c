"""bot.backoff.Backoff: capped exponential growth, bounded jitter, reset."""

from __future__ import annotations

import random

from bot.backoff import Backoff


def test_grows_to_cap_without_jitter() -> None:
    b = Backoff(base=0.5, factor=2.0, cap=4.0, jitter=0.0)
    assert [b.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert b.attempt == 6
    b.reset()
    assert b.attempt == 0 and b.next_delay() == 0.5


def test_jitter_stays_in_bounds_and_under_cap() -> None:
    b = Backoff(base=1.0, cap=10.0, jitter=0.2, rng=random.Random(7))
    delays = [b.next_delay() for _ in range(200)]
    assert all(0.8 <= d <= 1.2 for d in delays[:1])
    assert all(0.0 <= d <= 10.0 for d in delays)
    assert len(set(delays[-50:])) > 1  # jittered, not constant


def test_peek_and_huge_attempts() -> None:
    b = Backoff(base=0.5, cap=300.0, jitter=0.0)
    assert b.peek(0) == 0.5 and b.peek(3) == 4.0 and b.peek(10_000) == 300.0
    assert b.attempt == 0
