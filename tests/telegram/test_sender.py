"""TelegramSender through the real aiogram client: pacing limits and error translation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from adapters.telegram import TelegramAdapter, TelegramSender
from bot.domain import Button, ChatRef, OutMessage, Span
from bot.errors import ChatGone, ChatMigrated, DeliveryError, MessageGone, RetryAfter
from tests.telegram.conftest import TOKEN, settings_for
from tests.telegram.fakes import FakeCore
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(20)
CHAT = ChatRef("telegram", "501")
GROUP = ChatRef("telegram", "-300")


@pytest.fixture
async def sender(api: StandIn) -> AsyncIterator[TelegramSender]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
    yield TelegramSender(bot, rate=1000.0)
    await bot.session.close()


def test_limits() -> None:
    sender = TelegramSender(Bot(TOKEN))
    assert sender.platform == "telegram"
    assert sender.limits_for(CHAT).min_interval_s == 1.0 and sender.limits_for(CHAT).per_minute is None
    assert sender.platform_limits(GROUP).per_minute == 20
    assert sender.limits_for(GROUP).per_minute == 15  # alerts: the rest is kept for command replies


async def test_send_returns_message_id_and_keyboard(api: StandIn, sender: TelegramSender) -> None:
    msg = OutMessage((Span("hi"),), ((Button("Yes", "confirm", "tok1"), Button("No", "cancel", "tok1")),))
    message_id = await sender.send(CHAT, msg)
    sent = api.of("sendMessage")[0]
    assert message_id == "100"
    assert [b["callback_data"] for b in sent["reply_markup"]["inline_keyboard"][0]] == ["y:tok1", "n:tok1"]


async def test_long_message_split_with_buttons_on_last(api: StandIn, sender: TelegramSender) -> None:
    line = "<caller> & co\n"
    msg = OutMessage((Span(line * 700, "bold"),), ((Button("Call", "call", "101"),),))
    await sender.send(CHAT, msg)
    sent = api.of("sendMessage")
    assert len(sent) >= 3
    assert all(len(s["text"]) <= 4096 for s in sent)
    assert all(s["text"].startswith("<b>") and s["text"].endswith("</b>") for s in sent)
    assert [("reply_markup" in s) for s in sent] == [False] * (len(sent) - 1) + [True]
    assert "".join(s["text"][3:-4] for s in sent) == (line * 700).replace("&", "&amp;").replace(
        "<", "&lt;"
    ).replace(">", "&gt;")


@pytest.mark.parametrize(
    ("status", "description", "params", "error"),
    [
        (403, "Forbidden: bot was blocked by the user", {}, ChatGone),
        (400, "Bad Request: chat not found", {}, ChatGone),
        (500, "Internal Server Error", {}, DeliveryError),
        (502, "Bad Gateway", {}, DeliveryError),
        (400, "Bad Request: can't parse entities", {}, DeliveryError),
    ],
)
async def test_send_errors_translated(
    api: StandIn, sender: TelegramSender, status: int, description: str, params: dict[str, int],
    error: type[DeliveryError],
) -> None:
    api.script("sendMessage", status, description, **params)
    with pytest.raises(error) as info:
        await sender.send(CHAT, OutMessage.plain("x"))
    assert type(info.value) is error
    assert TOKEN not in str(info.value)


async def test_retry_after_seconds(api: StandIn, sender: TelegramSender) -> None:
    api.script("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await sender.send(CHAT, OutMessage.plain("x"))
    assert info.value.seconds == 7


async def test_migrated(api: StandIn, sender: TelegramSender) -> None:
    api.script("sendMessage", 400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-100777)
    with pytest.raises(ChatMigrated) as info:
        await sender.send(GROUP, OutMessage.plain("x"))
    assert info.value.new_chat_id == "-100777"


async def test_edit_errors(api: StandIn, sender: TelegramSender) -> None:
    api.script("editMessageText", 400, "Bad Request: message to edit not found")
    with pytest.raises(MessageGone):
        await sender.edit(CHAT, "5", OutMessage.plain("x"))
    api.script("editMessageText", 400, "Bad Request: message can't be edited")
    with pytest.raises(MessageGone):
        await sender.edit(CHAT, "5", OutMessage.plain("x"))
    api.script("editMessageText", 400, "Bad Request: message is not modified: specified new message")
    await sender.edit(CHAT, "5", OutMessage.plain("x"))  # success, no error
    await sender.edit(CHAT, "6", OutMessage.plain("y"))
    assert [e["message_id"] for e in api.of("editMessageText")] == ["5", "5", "5", "6"]


async def test_network_error_is_delivery_error(sender: TelegramSender) -> None:
    dead = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:1")))
    try:
        with pytest.raises(DeliveryError) as info:
            await TelegramSender(dead).send(CHAT, OutMessage.plain("x"))
        assert TOKEN not in str(info.value)
    finally:
        await dead.session.close()


async def test_global_pace(api: StandIn) -> None:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
    sender = TelegramSender(bot, rate=50.0)
    started = time.monotonic()
    chats = [ChatRef("telegram", str(i)) for i in range(11)]
    await asyncio.gather(*(sender.send(chat, OutMessage.plain("x")) for chat in chats))
    await bot.session.close()
    assert time.monotonic() - started >= 0.19  # 11 requests at 50/s: 10 intervals of 20 ms


async def test_reply_waits_out_429_and_sends_once(api: StandIn, sender: TelegramSender) -> None:
    api.script("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    started = time.monotonic()
    await sender.reply(CHAT, OutMessage.plain("pong"))
    assert time.monotonic() - started >= 1.0
    assert [s["text"] for s in api.of("sendMessage")] == ["pong", "pong"]  # first got 429


async def test_check_and_token_never_logged(
    api: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = TelegramAdapter(settings_for(api), FakeCore(), polling_timeout=1)
    assert await adapter.check() == "@onpbx_test_bot (id 4242)"
    api.script("getMe", 401, "Unauthorized")
    with pytest.raises(DeliveryError) as info:
        await adapter.check()
    assert "Unauthorized" in str(info.value) and TOKEN not in str(info.value)
    await adapter.stop()
    assert all(c.token == TOKEN for c in api.calls)  # the token did travel, in the URL only
    assert not [r for r in caplog.records if TOKEN in r.getMessage() or "SECRET-token" in r.getMessage()]


BODY = "".join(f"line {n} of a long digest\n" for n in range(400))  # three parts


class FailsSecondPart(StandIn):
    """Answers the second sendMessage with a 429 (the first part of a split message landed)."""

    async def _handle(self, request):  # type: ignore[no-untyped-def]
        if request.match_info["method"] == "sendMessage" and len(self.of("sendMessage")) == 1:
            self.script("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        return await super()._handle(request)


async def test_a_split_message_retried_after_a_429_posts_only_the_missing_parts() -> None:
    """The worker retries the whole entry after a 429; the parts that landed are not posted again."""
    async with FailsSecondPart() as api:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
        sender = TelegramSender(bot, rate=1000.0)
        msg = OutMessage((Span(BODY),), ((Button("Call", "call", "101"),),))
        with pytest.raises(RetryAfter):
            await sender.send(CHAT, msg)
        last = await sender.send(CHAT, msg)  # the retry
        await bot.session.close()
    texts = [s["text"] for s in api.of("sendMessage")]
    assert texts[1] == texts[2] != texts[0]  # part 1, part 2 (the 429), part 2 again, the rest
    assert "".join([texts[0], *texts[2:]]) == BODY  # each part once
    assert last and "reply_markup" in api.of("sendMessage")[-1]
    assert sender._partial == {}  # forgotten once the message is whole
