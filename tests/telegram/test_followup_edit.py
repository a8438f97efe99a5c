"""A resolved missed-call alert through the real aiogram client: posted with Call back and Done
buttons, then edited in place (editMessageText) with the resolution and without buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from adapters.telegram import TelegramSender
from bot.alerts import FollowUps, Renderer
from bot.delivery import DeliveryWorker
from bot.domain import CallRecord, ChatRef, MissedCall
from storage.memory import MemoryStore
from tests.telegram.conftest import TOKEN
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(20)
GROUP = ChatRef("telegram", "-300")
NOON_MS = 1_700_049_600_000


@pytest.fixture
async def sender(api: StandIn) -> AsyncIterator[TelegramSender]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
    yield TelegramSender(bot, rate=1000.0)
    await bot.session.close()


async def test_done_edits_the_posted_alert_and_drops_its_buttons(
    api: StandIn, sender: TelegramSender
) -> None:
    store, now = MemoryStore(), [1_700_049_600.0]
    await store.ensure_chat(GROUP, title="G", language="en", timezone="UTC")
    missed = MissedCall("4f0b1a2c-1d2e", "79161234567", "", ("201",), "500", "", NOON_MS, NOON_MS + 9000, "")
    await store.record_call(CallRecord(missed.call_id, NOON_MS, "in", missed.caller_number, "500",
                                       "+79161234567", ("201",), verdict="missed"))  # fmt: skip
    await store.enqueue(f"missed:{missed.call_id}:{GROUP}", GROUP, missed, now[0])
    worker = DeliveryWorker(store, {"telegram": sender}, Renderer("RU"), clock=lambda: now[0])
    assert await worker.deliver_once() == 1
    [posted] = api.of("sendMessage")
    buttons = [b["callback_data"] for row in posted["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["c:79161234567", "d:4f0b1a2c-1d2e"]
    now[0] += 600
    assert await FollowUps(store).mark_done(missed.call_id, "Anna", now[0])
    now[0] += 2
    assert await worker.deliver_once() == 1
    [edit] = api.of("editMessageText")
    assert edit["chat_id"] == "-300" and int(edit["message_id"]) == 100
    assert edit["text"].endswith("✅ Marked done by Anna at 12:10") and "reply_markup" not in edit
    assert api.of("sendMessage") == [posted] and await store.outbox_depth() == 0
