"""With a Telegram token configured the demo also posts to Telegram: a group bound with ``/bind 201``
gets the scenario's first missed call (the Bot API is the stand-in server on 127.0.0.1)."""

from __future__ import annotations

import io

import pytest
from pydantic import SecretStr

import adapters.telegram  # noqa: F401  # imported at collection: aiogram's import alone takes seconds
from bot.cli.demo import run_demo
from bot.config import Settings
from tests.cli.conftest import TRACEBACK
from tests.telegram.standin import StandIn

TOKEN = "123456:FAKE-demo-token_for_tests"
ADMIN, GROUP = 777, -500


@pytest.mark.timeout(25)
async def test_demo_with_telegram_token_alerts_a_bound_telegram_group() -> None:
    async with StandIn() as api:
        api.push_message(GROUP, "/bind 201", user_id=ADMIN, title="Reception")
        base = Settings(  # type: ignore[call-arg]
            _env_file=None, bot_language="ru", bot_admins=f"telegram:{ADMIN}",
            telegram_bot_token=SecretStr(TOKEN), telegram_api_url=api.url, slack_bot_token=SecretStr(""),
        )
        out = io.StringIO()
        assert await run_demo(base, duration=6.0, out=out) == 0
    console = out.getvalue()
    # the first missed call once (the call missed during the 2 s socket gap may follow it)
    assert not TRACEBACK.search(console), console
    assert console.count("📵 Пропущенный звонок\n  От: +7 916") == 1, console
    to_group = [m for m in api.of("sendMessage") if m["chat_id"] == str(GROUP)]
    bound = to_group[0]["text"]
    assert "201" in bound and "📵" not in bound  # the /bind reply came first
    missed = [m["text"] for m in to_group if "📵" in m["text"] and "916" in m["text"]]
    assert len(missed) == 1, to_group  # the first missed call (79161234567 ringing 201), once
    assert "Пропущенный звонок" in missed[0] and "Иван Петров" in missed[0]
    assert "916" in missed[0] and "201" in missed[0]
    assert all(c.token == TOKEN for c in api.calls)  # the demo talked to the stand-in with our token
    assert TOKEN not in console
