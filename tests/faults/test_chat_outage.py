"""Telegram answers 5xx for a minute, then recovers: through the real TelegramSender (aiogram)
against the stand-in Bot API, with a fake clock driving the DeliveryWorker's backoff. Everything
is delivered once, in order per chat."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from adapters.telegram import TelegramSender
from bot.delivery.worker import DeliveryWorker
from bot.domain import ChatRef
from storage.sqlite import SqliteStore
from tests.delivery.fakes import FakeClock, FakeRenderer, missed
from tests.telegram.conftest import TOKEN
from tests.telegram.standin import Call, StandIn

pytestmark = pytest.mark.timeout(30)
CHATS = (ChatRef("telegram", "-501"), ChatRef("telegram", "-502"))


class OutageStandIn(StandIn):
    """The stand-in Bot API, but ``sendMessage`` answers 502 while ``clock() < down_until``."""

    def __init__(self, clock: Callable[[], float], down_until: float) -> None:
        super().__init__()
        self.clock, self.down_until = clock, down_until
        self.refused = 0

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "sendMessage" and self.clock() < self.down_until:
            self.refused += 1
            self.calls.append(Call("sendMessage-refused", "", {}))
            body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            return web.json_response(body, status=502)
        return await super()._handle(request)


async def test_a_minute_of_5xx_then_everything_once_in_order(tmp_path: Path) -> None:
    clock = FakeClock()
    store = await SqliteStore.open(str(tmp_path / "outage.sqlite3"))
    api = OutageStandIn(clock, down_until=clock.now + 60.0)
    async with api:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
        try:
            worker = DeliveryWorker(store, {"telegram": TelegramSender(bot, rate=1000.0)}, FakeRenderer(),
                                    clock=clock, digest_threshold=100)
            for chat in CHATS:
                await store.ensure_chat(chat, title="Ops", language="en", timezone="UTC")
            for n in range(6):
                chat = CHATS[n % 2]
                assert await store.enqueue(f"missed:c{n}", chat, missed(n), clock.now)
            for _ in range(200):
                await worker.deliver_once()
                if await store.outbox_depth() == 0:
                    break
                assert worker.next_wake is not None
                clock.now = max(clock.now + 0.5, worker.next_wake)
            assert await store.outbox_depth() == 0
            assert api.refused >= 3  # it really was down for a while
            assert clock.now >= api.down_until
            sent = api.of("sendMessage")
            for i, chat in enumerate(CHATS):
                texts = [s["text"] for s in sent if str(s["chat_id"]) == chat.chat_id]
                keys = [k for text in texts for k in text.split(":", 1)[1].split(",")]
                assert keys == [f"c{n}" for n in range(i, 6, 2)], texts  # each once, in order
        finally:
            await bot.session.close()
            await store.close()
