"""Issue #10 item 13 on Telegram: two 429s with retry_after 1 through the real aiogram client mean at
least 2 s before the message lands, exactly once."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from adapters.telegram import TelegramSender
from bot.domain import ChatRef
from tests.delivery.retry_after import deliver_through_two_429s
from tests.telegram.conftest import TOKEN
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(30)


async def test_two_429s_wait_two_seconds_from_each_answer_and_land_once(api: StandIn) -> None:
    for _ in range(2):
        api.script("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
    try:
        took = await deliver_through_two_429s(TelegramSender(bot, rate=1000.0), ChatRef("telegram", "-300"))
    finally:
        await bot.session.close()
    assert len(api.of("sendMessage")) == 3  # 429, 429, then the one that landed
    assert took >= 2.0
