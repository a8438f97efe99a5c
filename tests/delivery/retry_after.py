"""Shared check for issue #10 item 13: the real DeliveryWorker on the wall clock, driven until the
alert lands; a platform's Retry-After counts from the moment its 429 arrived."""

from __future__ import annotations

import asyncio
import time

from bot.delivery.worker import DeliveryWorker
from bot.domain import ChatRef, MissedCall
from bot.ports import ChatSender
from storage.memory import MemoryStore
from tests.delivery.fakes import TextRenderer


async def deliver_through_two_429s(sender: ChatSender, chat: ChatRef) -> float:
    """Enqueue one alert, run the worker until it is delivered; returns the seconds it took."""
    store = MemoryStore()
    await store.ensure_chat(chat, title="alerts", language="en", timezone="UTC")
    alert = MissedCall("call-1", "79161234567", "Ivan", ("201",), "500", "gw", 0, 1, "NO_ANSWER")
    assert await store.enqueue("missed:call-1", chat, alert, time.time())
    worker = DeliveryWorker(store, {chat.platform: sender}, TextRenderer(), clock=time.time)
    started = time.monotonic()
    async with asyncio.timeout(15):
        while await store.outbox_depth():
            await worker.deliver_once()
            await asyncio.sleep(0.02)
    took = time.monotonic() - started
    for _ in range(3):  # nothing is left to send again
        assert await worker.deliver_once() == 0
    return took
