"""Pacer: minimum interval, sliding 60 s window, smoothing after half the budget."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.pacing import Pacer
from bot.ports import PacingLimits

CHAT = "telegram:-1"


def test_first_message_goes_at_once_then_min_interval() -> None:
    pacer, limits = Pacer(), PacingLimits(1.0, None)
    assert pacer.next_slot(CHAT, limits, 100.0) == 100.0
    pacer.record(CHAT, 100.0)
    assert pacer.next_slot(CHAT, limits, 100.2) == 101.0
    assert pacer.next_slot(CHAT, limits, 105.0) == 105.0
    assert pacer.next_slot("other", limits, 100.2) == 100.2  # chats are independent
    assert pacer.remaining(CHAT, limits, 100.5) is None


def test_per_minute_cap_and_window_expiry() -> None:
    pacer, limits = Pacer(), PacingLimits(0.0, 4)
    for t in (0.0, 1.0, 2.0, 3.0):  # e.g. sent by an earlier volley
        pacer.record(CHAT, t)
    assert pacer.remaining(CHAT, limits, 10.0) == 0
    assert pacer.next_slot(CHAT, limits, 10.0) == 60.0  # the send at 0.0 leaves the window
    assert pacer.remaining(CHAT, limits, 60.0) == 1
    assert pacer.remaining(CHAT, limits, 63.0) == 4
    assert len(pacer) == 0  # idle chats are forgotten


def test_smoothing_after_a_short_volley() -> None:
    pacer, limits = Pacer(), PacingLimits(0.0, 10)  # volley of 2, then 60 / 8 = 7.5 s apart
    pacer.record(CHAT, 0.0)
    assert pacer.next_slot(CHAT, limits, 0.0) == 0.0
    pacer.record(CHAT, 0.0)
    assert pacer.next_slot(CHAT, limits, 0.0) == 7.5


def send_greedily(limits: PacingLimits, start: float, until: float) -> list[float]:
    pacer, now = Pacer(), start
    times: list[float] = []
    while now < until and len(times) < 2000:  # interval 0 with no cap never moves the clock
        now = pacer.next_slot(CHAT, limits, now)
        pacer.record(CHAT, now)
        times.append(now)
    return times


@settings(max_examples=60, deadline=None)
@given(
    interval=st.sampled_from([0.0, 0.5, 1.0, 3.0]),
    cap=st.one_of(st.none(), st.integers(1, 30)),
)
def test_greedy_sender_never_breaks_the_limits(interval: float, cap: int | None) -> None:
    times = send_greedily(PacingLimits(interval, cap), 1000.0, 1300.0)
    assert all(b - a >= interval - 1e-9 for a, b in itertools.pairwise(times))
    if cap is not None:
        assert all(sum(1 for u in times if t <= u < t + 60) <= cap for t in times)
        spread = 60 / max(1, cap - max(1, cap // 5))
        assert max(b - a for a, b in itertools.pairwise(times)) <= max(interval, spread) + 1e-9


def test_telegram_group_gets_20_a_minute_with_no_long_gap() -> None:
    times = send_greedily(PacingLimits(1.0, 20), 0.0, 600.0)
    assert 16 * 10 <= len(times) <= 20 * 10
    assert times[:5] == [0.0, 1.0, 2.0, 3.0, 6.75]  # a quick volley of 4, then a trickle
    assert max(b - a for a, b in itertools.pairwise(times)) == 3.75
