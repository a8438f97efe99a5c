"""Fixtures: a stand-in Bot API server, a fake core, and an adapter wired to both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.telegram import TelegramAdapter
from bot.config import Settings
from tests.telegram.fakes import FakeCore
from tests.telegram.standin import StandIn

TOKEN = "123456:SECRET-token_value_for_tests"


def settings_for(api: StandIn, **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_bot_token=SecretStr(TOKEN), telegram_api_url=api.url, **extra
    )


@pytest.fixture
async def api() -> AsyncIterator[StandIn]:
    async with StandIn() as server:
        yield server


@pytest.fixture
def core() -> FakeCore:
    return FakeCore()


@pytest.fixture
async def adapter(api: StandIn, core: FakeCore) -> AsyncIterator[TelegramAdapter]:
    """A started polling adapter (short long-poll timeout so tests stop fast)."""
    tg = TelegramAdapter(settings_for(api), core, polling_timeout=1, rate=1000.0)
    await tg.start()
    yield tg
    await tg.stop()
