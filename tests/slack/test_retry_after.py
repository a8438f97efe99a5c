"""Issue #10 item 13 on Slack: two 429s with Retry-After 1 (the first waited out inside slack_sdk,
the second back to the outbox) mean at least 2 s before the message lands, exactly once."""

from __future__ import annotations

import pytest

from adapters.slack import SlackSender
from adapters.slack.sender import build_web_client
from bot.domain import ChatRef
from tests.delivery.retry_after import deliver_through_two_429s
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(30)


async def test_two_429s_wait_two_seconds_from_each_answer_and_land_once(standin: SlackStandIn) -> None:
    for _ in range(2):
        standin.script("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    sender = SlackSender(build_web_client("xoxb-token", standin.api_url))
    took = await deliver_through_two_429s(sender, ChatRef("slack", "C0ALERTS"))
    posts = [c for c in standin.calls if c.method == "chat.postMessage"]
    assert [c.status for c in posts] == [429, 429, 200]
    assert took >= 2.0
