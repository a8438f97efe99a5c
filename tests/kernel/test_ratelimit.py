"""SlidingWindow: expiry at the window's edge, limits, and keys forgotten so memory stays bounded."""

from __future__ import annotations

import pytest

from bot.ratelimit import SlidingWindow


def test_stamps_expire_at_the_window_edge() -> None:
    window = SlidingWindow(60.0)
    window.hit("u", 0.0)
    window.hit("u", 10.0)
    assert window.count("u", 59.9) == 2
    assert window.count("u", 60.0) == 1  # counted until t + 60, exclusive
    assert list(window.recent("u", 60.0)) == [10.0]
    assert window.count("u", 70.0) == 0


def test_limit_and_retry_after() -> None:
    window = SlidingWindow(60.0)
    window.hit("u", 0.0)
    window.hit("u", 10.0)
    assert window.allowed("u", 20.0, 3)
    assert not window.allowed("u", 20.0, 2)
    assert window.retry_after("u", 20.0, 2) == pytest.approx(40.0)
    assert window.retry_after("u", 20.0, 3) == 0.0
    assert window.allowed("other", 20.0, 1)  # keys are independent
    assert window.retry_after("u", 20.0, 0) == float("inf")


def test_key_is_deleted_once_its_stamps_expire() -> None:
    window = SlidingWindow(60.0)
    window.hit("u", 0.0)
    assert len(window) == 1
    assert window.count("u", 61.0) == 0
    assert len(window) == 0
    assert window.count("never-seen", 61.0) == 0
    assert len(window) == 0  # reading an unknown key creates nothing


def test_idle_keys_are_swept_without_being_read() -> None:
    window = SlidingWindow(60.0)
    for i in range(1000):  # a thousand users, each acting once and never again
        window.hit(f"user{i}", i * 0.01)
    assert len(window) == 1000
    window.hit("late", 200.0)
    assert len(window) == 1  # memory follows the keys active in the last window
    assert window.count("late", 200.0) == 1


def test_sweep_keeps_keys_still_inside_the_window() -> None:
    window = SlidingWindow(60.0)
    window.hit("old", 0.0)
    window.hit("fresh", 50.0)
    window.hit("now", 100.0)  # a sweep: "old" left the window, "fresh" has not
    assert len(window) == 2
    assert window.count("fresh", 100.0) == 1
