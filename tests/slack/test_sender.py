"""SlackSender through the real AsyncWebClient against the stand-in, and the real DeliveryWorker:
short 429s are waited out inside the SDK, long ones go back to the outbox; errors are typed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from adapters.slack import SlackAdapter, SlackSender
from adapters.slack.sender import build_web_client
from bot.delivery.worker import DeliveryWorker
from bot.domain import ChatRef, MissedCall, OutMessage
from bot.errors import ChatGone, DeliveryError, MessageGone, RetryAfter
from storage.memory import MemoryStore
from tests.delivery.fakes import StillClock as Clock
from tests.delivery.fakes import TextRenderer
from tests.slack.fakes import RecordingCore, slack_settings
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(20)
TOKEN = "xoxb-very-secret-token"
CHAT = ChatRef("slack", "C0ALERTS")
RATELIMITED = {"ok": False, "error": "ratelimited"}


@pytest.fixture
async def sender(standin: SlackStandIn) -> AsyncIterator[SlackSender]:
    yield SlackSender(build_web_client(TOKEN, standin.api_url))


async def worker_with_one_alert() -> tuple[DeliveryWorker, MemoryStore, Clock]:
    store, clock = MemoryStore(), Clock()
    await store.ensure_chat(CHAT, title="alerts", language="en", timezone="UTC")
    alert = MissedCall("call-1", "79161234567", "Ivan", ("201",), "500", "gw", 0, 1, "NO_ANSWER")
    assert await store.enqueue("missed:call-1", CHAT, alert, clock.now)
    return DeliveryWorker(store, {}, TextRenderer(), clock=clock), store, clock


async def test_short_429_is_waited_out_in_the_sdk_and_delivered_once(
    standin: SlackStandIn, sender: SlackSender
) -> None:
    worker, store, clock = await worker_with_one_alert()
    worker.add_sender(sender)
    standin.script("chat.postMessage", 429, RATELIMITED, {"Retry-After": "1"})
    started = time.monotonic()
    assert await worker.deliver_once() == 1
    assert time.monotonic() - started >= 1.0  # the Retry-After was obeyed
    for _ in range(3):
        clock.now += 60.0
        assert await worker.deliver_once() == 0
    posts = [c for c in standin.calls if c.method == "chat.postMessage"]
    assert [c.status for c in posts] == [429, 200]
    assert posts[1].body["text"] == "missed 79161234567" and posts[1].body["channel"] == "C0ALERTS"
    assert await store.outbox_depth() == 0


async def test_long_429_goes_back_to_the_outbox(standin: SlackStandIn, sender: SlackSender) -> None:
    worker, store, clock = await worker_with_one_alert()
    worker.add_sender(sender)
    standin.script("chat.postMessage", 429, RATELIMITED, {"Retry-After": "30"})
    started = time.monotonic()
    assert await worker.deliver_once() == 0
    assert time.monotonic() - started < 5.0  # not slept inside the SDK
    clock.now += 10.0
    assert await worker.deliver_once() == 0
    clock.now += 25.0
    assert await worker.deliver_once() == 1
    assert [c.status for c in standin.calls if c.method == "chat.postMessage"] == [429, 200]
    assert await store.outbox_depth() == 0


async def test_retry_after_surfaces_as_retry_after(standin: SlackStandIn, sender: SlackSender) -> None:
    standin.script("chat.postMessage", 429, RATELIMITED, {"Retry-After": "42"})
    with pytest.raises(RetryAfter) as info:
        await sender.send(CHAT, OutMessage.plain("x"))
    assert info.value.seconds == 42.0


@pytest.mark.parametrize(
    ("method", "error", "expected"),
    [
        ("chat.postMessage", "channel_not_found", ChatGone),
        ("chat.postMessage", "not_in_channel", ChatGone),
        ("chat.postMessage", "is_archived", ChatGone),
        ("chat.postMessage", "account_inactive", ChatGone),
        ("chat.postMessage", "invalid_auth", DeliveryError),
        ("chat.update", "message_not_found", MessageGone),
        ("chat.update", "cant_update_message", MessageGone),
    ],
)
async def test_api_errors_are_typed(
    standin: SlackStandIn, sender: SlackSender, method: str, error: str, expected: type[DeliveryError]
) -> None:
    standin.script(method, 200, {"ok": False, "error": error})
    with pytest.raises(DeliveryError) as info:
        if method == "chat.update":
            await sender.edit(CHAT, "1700000000.000001", OutMessage.plain("x"))
        else:
            await sender.send(CHAT, OutMessage.plain("x"))
    assert type(info.value) is expected and error in str(info.value)
    assert TOKEN not in str(info.value) and info.value.__cause__ is None


async def test_5xx_is_retried_once_then_a_delivery_error(standin: SlackStandIn, sender: SlackSender) -> None:
    standin.script("chat.postMessage", 500, {"ok": False, "error": "fatal_error"})
    assert await sender.send(CHAT, OutMessage.plain("x"))  # the SDK retried the 500 once
    for _ in range(2):
        standin.script("chat.postMessage", 503, {"ok": False, "error": "service_unavailable"})
    with pytest.raises(DeliveryError) as info:
        await sender.send(CHAT, OutMessage.plain("y"))
    assert type(info.value) is DeliveryError
    assert [c.status for c in standin.calls] == [500, 200, 503, 503]


async def test_network_failure_is_a_delivery_error() -> None:
    sender = SlackSender(build_web_client(TOKEN, "http://127.0.0.1:9/api/"))
    with pytest.raises(DeliveryError) as info:
        await sender.send(CHAT, OutMessage.plain("x"))
    assert type(info.value) is DeliveryError and TOKEN not in str(info.value)


async def test_edit_posts_chat_update_with_blocks(standin: SlackStandIn, sender: SlackSender) -> None:
    ts = await sender.send(CHAT, OutMessage.plain("ringing"))
    await sender.edit(CHAT, ts, OutMessage.plain("answered"))
    update = standin.ok_calls("chat.update")[0]
    assert update.body["ts"] == ts and update.body["channel"] == "C0ALERTS"
    assert update.body["blocks"][0]["text"]["text"] == "answered"
    assert update.headers["authorization"] == f"Bearer {TOKEN}"
    assert sender.limits_for(CHAT).min_interval_s == 1.0 and sender.limits_for(CHAT).per_minute is None


async def test_check_reports_the_bot_or_a_clean_error(standin: SlackStandIn) -> None:
    settings = slack_settings(slack_bot_token=TOKEN, slack_app_token="xapp-x", slack_api_url=standin.api_url)
    adapter = SlackAdapter(settings, RecordingCore())
    assert await adapter.check() == "bot @pbxbot (UBOT) in Team"
    standin.script("auth.test", 200, {"ok": False, "error": "invalid_auth"})
    with pytest.raises(DeliveryError, match="invalid_auth") as info:
        await adapter.check()
    assert TOKEN not in str(info.value)
