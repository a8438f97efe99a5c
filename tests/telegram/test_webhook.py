"""Webhook mode: setWebhook with a secret; only POSTs carrying that secret are processed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from adapters.telegram import TelegramAdapter
from tests.telegram.conftest import settings_for
from tests.telegram.fakes import FakeCore
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(20)
SECRET = "s3cret-Header_value"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def update(update_id: int, text: str) -> dict[str, object]:
    chat = {"id": 501, "type": "private", "first_name": "Ivan"}
    user = {"id": 777, "is_bot": False, "first_name": "Ivan", "language_code": "en"}
    message = {"message_id": 1, "date": 0, "chat": chat, "from": user, "text": text}
    return {"update_id": update_id, "message": message}


@pytest.fixture
async def hooked(api: StandIn, core: FakeCore) -> AsyncIterator[TelegramAdapter]:
    settings = settings_for(
        api,
        telegram_webhook_url="https://bot.example.org/tg/hook",
        telegram_webhook_port=0,
        telegram_webhook_secret=SecretStr(SECRET),
    )
    tg = TelegramAdapter(settings, core, webhook_host="127.0.0.1")
    await tg.start()
    yield tg
    await tg.stop()


async def test_webhook_registered_with_secret(api: StandIn, hooked: TelegramAdapter) -> None:
    hook = api.of("setWebhook")[0]
    assert hook["url"] == "https://bot.example.org/tg/hook" and hook["secret_token"] == SECRET
    assert set(hook["allowed_updates"]) == {"message", "callback_query"}
    assert api.of("getUpdates") == []


async def test_secret_checked(api: StandIn, core: FakeCore, hooked: TelegramAdapter) -> None:
    url = f"http://127.0.0.1:{hooked.webhook_port}/tg/hook"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=update(1, "/who")) as resp:
            assert resp.status in (401, 403)
        async with http.post(url, json=update(2, "/who"), headers={HEADER: "wrong"}) as resp:
            assert resp.status in (401, 403)
        await asyncio.sleep(0.2)
        assert core.commands == [] and api.of("sendMessage") == []
        async with http.post(url, json=update(3, "/help"), headers={HEADER: SECRET}) as resp:
            assert resp.status == 200
    sent = await api.wait_for("sendMessage")
    assert [c.name for c in core.commands] == ["help"] and sent[0]["text"] == "ok help"


async def test_random_secret_when_unset(api: StandIn, core: FakeCore) -> None:
    settings = settings_for(api, telegram_webhook_url="https://x.example/h", telegram_webhook_port=0)
    one = TelegramAdapter(settings, core, webhook_host="127.0.0.1")
    two = TelegramAdapter(settings, core, webhook_host="127.0.0.1")
    assert len(one.webhook_secret) >= 32 and one.webhook_secret != two.webhook_secret
    await one.stop()
    await two.stop()
