"""Telegram adapter: HTML render cost and sends/s through the real aiogram client to the stand-in."""

from __future__ import annotations

import html
import time
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from adapters.telegram.render import chunks
from adapters.telegram.sender import TelegramSender
from bot.domain import ChatRef, OutMessage, Span
from tests.telegram.standin import StandIn

TOKEN = "123456:bench-token"


def _render() -> dict[str, float]:
    alert = OutMessage((Span("Missed call ", "bold"), Span('<b>Иван</b> & "Co" 79161234567\n' * 3)))
    long = OutMessage((Span("line with <tags> & entities\n" * 2000),))
    n = 2000
    started = time.perf_counter()
    for _ in range(n):
        chunks(alert)
    per_alert_us = (time.perf_counter() - started) / n * 1e6
    started = time.perf_counter()
    for _ in range(n):
        "".join(html.escape(span.text) for span in alert.spans)
    baseline_us = (time.perf_counter() - started) / n * 1e6
    started = time.perf_counter()
    pieces = chunks(long)
    return {"render_alert_us": round(per_alert_us, 1),
            "render_vs_bare_escape": round(per_alert_us / baseline_us, 1),
            "render_56k_chars_ms": round((time.perf_counter() - started) * 1e3, 1),
            "render_56k_chunks": len(pieces)}


async def run() -> dict[str, Any]:
    out: dict[str, Any] = dict(_render())
    async with StandIn() as api:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
        sender = TelegramSender(bot, rate=10_000.0)
        n = 200
        started = time.perf_counter()
        for i in range(n):
            await sender.send(ChatRef("telegram", str(i + 1)), OutMessage.plain("x"))
        out["standin_sends_per_s"] = round(n / (time.perf_counter() - started), 1)
        await bot.session.close()
    return out
