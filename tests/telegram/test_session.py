"""The adapter's aiogram session keeps aiogram's response models alive across garbage collections
(pydantic caches ``Response[Message]`` weakly; rebuilding it costs milliseconds per send). Run
alone, a plain AiohttpSession loses the model at the first ``gc.collect()``; in a full run other
tests' objects may keep it, so the test also checks the pin itself."""

from __future__ import annotations

import gc
import weakref

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import Response
from aiogram.types import Message

from adapters.telegram import session as pinning
from adapters.telegram.runner import TelegramAdapter
from adapters.telegram.session import PinnedSession
from tests.telegram.conftest import TOKEN, settings_for
from tests.telegram.fakes import FakeCore
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(20)


@pytest.fixture(autouse=True)
def nothing_pinned_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other tests of this process pinned the models already: start from none."""
    monkeypatch.setattr(pinning, "_PINNED", {})


async def survives_gc(api: StandIn, session: AiohttpSession) -> bool:
    """Send one message, then collect garbage: is the model aiogram validated it with still
    the same class (not rebuilt)?"""
    bot = Bot(TOKEN, session=session)
    try:
        sent = await bot.send_message(chat_id=1, text="x")
        assert sent.message_id > 0
        model = weakref.ref(Response[Message])
        gc.collect()
        return model() is not None
    finally:
        await bot.session.close()


async def test_the_adapters_session_keeps_the_response_model(api: StandIn) -> None:
    adapter = TelegramAdapter(settings_for(api), FakeCore())
    assert isinstance(adapter.bot.session, PinnedSession)
    await adapter.bot.session.close()
    assert await survives_gc(api, PinnedSession(api=TelegramAPIServer.from_base(api.url)))
    assert pinning._PINNED[Message] is Response[Message]  # held here, whatever else holds it
