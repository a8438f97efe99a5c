"""The core's real DeliveryWorker with TelegramSender against the stand-in: 429 -> once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from adapters.telegram import TelegramSender
from bot.delivery.worker import DeliveryWorker
from bot.domain import ChatRef, MissedCall
from storage.memory import MemoryStore
from tests.delivery.fakes import StillClock as Clock
from tests.delivery.fakes import TextRenderer
from tests.telegram.conftest import TOKEN
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(20)
CHAT = ChatRef("telegram", "-300")


def missed(n: int) -> MissedCall:
    return MissedCall(f"call-{n}", "79161234567", "<b>x</b>", ("101",), "100", "gw", 0, 1, "NO_ANSWER")


@pytest.fixture
async def sender(api: StandIn) -> AsyncIterator[TelegramSender]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
    yield TelegramSender(bot, rate=1000.0)
    await bot.session.close()


async def test_429_then_delivered_exactly_once(api: StandIn, sender: TelegramSender) -> None:
    store, clock = MemoryStore(), Clock()
    await store.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
    assert await store.enqueue("missed:call-1", CHAT, missed(1), clock.now)
    worker = DeliveryWorker(store, {"telegram": sender}, TextRenderer(), clock=clock)
    api.script("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)

    assert await worker.deliver_once() == 0
    assert await store.outbox_depth() == 1
    clock.now += 1.0
    assert await worker.deliver_once() == 0  # still inside retry_after: nothing sent
    assert len(api.of("sendMessage")) == 1
    clock.now += 2.0
    assert await worker.deliver_once() == 1
    clock.now += 60.0
    assert await worker.deliver_once() == 0
    assert [s["text"] for s in api.of("sendMessage")] == ["missed 79161234567"] * 2  # 429, then ok
    assert await store.outbox_depth() == 0


async def test_403_marks_chat_inactive_and_keeps_entry(api: StandIn, sender: TelegramSender) -> None:
    store, clock = MemoryStore(), Clock()
    await store.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
    await store.enqueue("missed:call-2", CHAT, missed(2), clock.now)
    worker = DeliveryWorker(store, {"telegram": sender}, TextRenderer(), clock=clock)
    api.script("sendMessage", 403, "Forbidden: bot was kicked from the group chat")
    await worker.deliver_once()
    settings = await store.get_chat(CHAT)
    assert settings is not None and settings.active is False
    assert len(await store.pending_for_chat(CHAT)) == 1


async def test_migrate_error_moves_outbox_to_supergroup(api: StandIn, sender: TelegramSender) -> None:
    store, clock = MemoryStore(), Clock()
    await store.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
    await store.enqueue("missed:call-3", CHAT, missed(3), clock.now)
    worker = DeliveryWorker(store, {"telegram": sender}, TextRenderer(), clock=clock)
    api.script("sendMessage", 400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-100900)
    for _ in range(3):
        await worker.deliver_once()
        clock.now += 5.0
    assert [s["chat_id"] for s in api.of("sendMessage")] == ["-300", "-100900"]
    assert await store.get_chat(ChatRef("telegram", "-100900")) is not None
    assert await store.outbox_depth() == 0
