"""Reports on Telegram: a scheduled report goes through the outbox and the real aiogram client
as one ``sendPhoto`` (multipart PNG, the numbers as caption); a long text follows the photo."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from adapters.charts.mpl import render_png
from adapters.telegram import TelegramSender
from bot.alerts import Renderer
from bot.delivery import DeliveryWorker
from bot.domain import ChatRef, HourlyChart, OutMessage, ReportAlert, Span
from storage.memory import MemoryStore
from tests.telegram.conftest import TOKEN
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(30)
GROUP = ChatRef("telegram", "-300")
PNG = render_png(HourlyChart("t", ("09", "10"), (2, 1), (1, 0)))


def attached(call: dict[str, Any], field: str) -> dict[str, Any]:
    """aiogram uploads a file as ``field="attach://<name>"`` plus a multipart part ``<name>``."""
    ref = call[field]
    assert isinstance(ref, str) and ref.startswith("attach://")
    part = call[ref.removeprefix("attach://")]
    assert isinstance(part, dict)
    return part


@pytest.fixture
async def sender(api: StandIn) -> AsyncIterator[TelegramSender]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
    yield TelegramSender(bot, rate=1000.0)
    await bot.session.close()


async def test_scheduled_report_is_one_send_photo_with_caption(api: StandIn, sender: TelegramSender) -> None:
    store = MemoryStore()
    await store.ensure_chat(GROUP, title="G", language="en", timezone="UTC")
    png = base64.b64encode(PNG).decode()
    alert = ReportAlert("Calls report: 15.11.2023\nInbound: 7 <b>", png, "2023-11-15")
    assert await store.enqueue("report:x:2023-11-15", GROUP, alert, 1.0)
    worker = DeliveryWorker(store, {"telegram": sender}, Renderer("RU"), clock=lambda: 10.0)
    assert await worker.deliver_once() == 1
    [call] = api.of("sendPhoto")
    assert call["chat_id"] == "-300" and call["parse_mode"] == "HTML"
    assert call["caption"] == "Calls report: 15.11.2023\nInbound: 7 &lt;b&gt;"
    photo = attached(call, "photo")
    assert photo["filename"] == "report.png" and photo["data"] == PNG
    assert api.of("sendMessage") == [] and await store.outbox_depth() == 0


async def test_text_too_long_for_a_caption_follows_the_photo(api: StandIn, sender: TelegramSender) -> None:
    long = "x" * 1500
    mid = await sender.send(GROUP, OutMessage((Span(long),), photo=PNG))
    [photo] = api.of("sendPhoto")
    assert "caption" not in photo and attached(photo, "photo")["data"] == PNG
    [text] = api.of("sendMessage")
    assert text["text"] == long and mid == "101"
