"""The whole bot (bot/cli/app.py) with the PBX simulator and the stand-in Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.pbx.simulator import PbxSimulator
from adapters.pbx.simulator.scenario import parse_scenario
from bot.cli.app import Application
from bot.domain import ChatRef
from bot.i18n import t
from storage.memory import MemoryStore
from tests.telegram.conftest import settings_for
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(40)
DOMAIN, KEY = "example.onpbx.ru", "s3cr3t-key"
ADMIN, STRANGER = 777, 999
REFUSED = t("en", "policy.need_role", role="operator")  # the core's refusal for /call by a stranger


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    s = PbxSimulator(DOMAIN, KEY, time_scale=20.0, heartbeat_interval=5.0, heartbeat_timeout=5.0)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def app(api: StandIn, sim: PbxSimulator) -> AsyncIterator[Application]:
    settings = settings_for(
        api, onpbx_domain=DOMAIN, onpbx_key=SecretStr(KEY), onpbx_url=sim.url,
        bot_admins=f"telegram:{ADMIN}", bot_language="en", bot_reg_grace_s=0.0,
    )
    application = Application(settings, MemoryStore())
    await application.start()
    await sim.wait_clients(1)
    yield application
    await application.stop()


async def say(api: StandIn, chat: int, text: str, user: int = ADMIN) -> dict[str, Any]:
    before = len(api.of("sendMessage"))
    api.push_message(chat, text, user_id=user)
    return (await api.wait_for("sendMessage", before + 1))[before]


async def test_bind_who_stranger_and_missed_call(api: StandIn, sim: PbxSimulator, app: Application) -> None:
    bound = await say(api, 501, "/bind 201")
    assert "201" in bound["text"]
    who = await say(api, 501, "/who")
    assert "201" in who["text"]

    refused = await say(api, 502, "/call 79161234567", user=STRANGER)
    assert refused["chat_id"] == "502"
    assert refused["text"] == REFUSED and refused["text"].startswith("Not allowed")
    await asyncio.sleep(0.3)
    assert not [c for c in sim.commands_received if c[0] == "make_call"]

    before = len(api.of("sendMessage"))
    call = {"from": "79161234567", "name": "<b>x</b>", "to": "201", "ring": ["201"],
            "outcome": "missed", "ring_s": 1, "cause": "NO_ANSWER"}
    await sim.play(parse_scenario({"steps": [{"at": 0.0, "call": call}]}))
    alert = (await api.wait_for("sendMessage", before + 1, within=15.0))[before]
    assert alert["chat_id"] == "501" and "&lt;b&gt;x&lt;/b&gt;" in alert["text"]
    buttons = [b for row in alert["reply_markup"]["inline_keyboard"] for b in row]
    data = next(b["callback_data"] for b in buttons if b["callback_data"].startswith("c:"))
    await asyncio.sleep(1.0)
    assert len([s for s in api.of("sendMessage") if s["chat_id"] == "501"]) == 3  # alerted once
    assert app.worker.short_passes >= 1  # sent as the commit handed it over, not read back (#14)

    api.push_callback(501, 1, data, user_id=ADMIN)
    toast = (await api.wait_for("answerCallbackQuery"))[0]
    await sim.wait_for(lambda: any(c[0] == "make_call" for c in sim.commands_received))
    made = [d for name, d in sim.commands_received if name == "make_call"]
    assert len(made) == 1
    assert made[0]["from"] == "201" and made[0]["to"] == "79161234567"  # bound ext rings, then caller
    assert toast["text"] == t("en", "call.started", to="79161234567", ext="201").split("\n")[0]


async def test_group_migration_then_429_delivered_once(
    api: StandIn, sim: PbxSimulator, app: Application
) -> None:
    await say(api, -300, "/bind 202")
    api.push_message(-300, None, migrate_to_chat_id=-100300)
    new, old = ChatRef("telegram", "-100300"), ChatRef("telegram", "-300")
    for _ in range(50):
        if await app.store.extensions_of(new):
            break
        await asyncio.sleep(0.05)
    assert await app.store.extensions_of(new) == ["202"]
    assert await app.store.extensions_of(old) == []
    api.script("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    before = len(api.of("sendMessage"))
    call = {"from": "74951112233", "to": "202", "ring": ["202"], "outcome": "missed", "ring_s": 1,
            "cause": "NO_ANSWER"}
    await sim.play(parse_scenario({"steps": [{"at": 0.0, "call": call}]}))
    sent = (await api.wait_for("sendMessage", before + 2, within=15.0))[before:]
    await asyncio.sleep(1.5)
    assert [s["chat_id"] for s in api.of("sendMessage")[before:]] == ["-100300", "-100300"]
    assert sent[0]["text"] == sent[1]["text"]  # the 429-refused one, then the delivered one
