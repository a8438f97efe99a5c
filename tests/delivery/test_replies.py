"""Replies and alerts split a chat's budget: together they never exceed the platform's limit."""

from __future__ import annotations

import pytest

from bot.delivery import ReplyBudget, alert_limits
from bot.delivery.replies import reply_share
from bot.ports import PacingLimits


@pytest.mark.parametrize("per_minute", [1, 2, 3, 4, 5, 19, 20, 30, 100])
def test_shares_add_up_to_at_most_the_platform_limit(per_minute: int) -> None:
    limits = PacingLimits(1.0, per_minute)
    replies, alerts = reply_share(limits), alert_limits(limits).per_minute
    assert replies is not None and alerts is not None
    assert alerts >= 1 and replies + alerts <= max(per_minute, 1)
    assert alert_limits(limits).min_interval_s == 1.0


def test_no_cap_means_nothing_to_split() -> None:
    limits = PacingLimits(1.0, None)
    assert alert_limits(limits) == limits and reply_share(limits) is None
    budget = ReplyBudget()
    assert all(budget.take("dm", limits, 0.0) for _ in range(100))


def test_budget_counts_per_chat_in_a_sliding_minute() -> None:
    group = PacingLimits(1.0, 20)
    budget = ReplyBudget()
    assert [budget.take("g", group, float(i)) for i in range(7)] == [True] * 5 + [False] * 2
    assert budget.take("other", group, 6.0)  # another chat has its own share
    assert not budget.take("g", group, 59.9)
    assert budget.take("g", group, 60.0)  # the first reply left the window
