"""The whole bot on API 3.0 (the simulator's 3.0 side) with the stand-in Bot API server: the same
alerts as on 2.0, socket commands over 3.0, and plain answers for what 3.0 lacks."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from adapters.pbx.simulator.scenario import parse_scenario
from adapters.pbx.simulator.v3_server import PbxSimulatorV3, V3Knobs
from bot.cli.app import Application
from storage.memory import MemoryStore
from tests.faults.harness import until
from tests.telegram.conftest import settings_for
from tests.telegram.standin import StandIn
from tests.telegram.test_e2e import ADMIN, DOMAIN, KEY, say

pytestmark = pytest.mark.timeout(40)


@pytest.fixture
async def sim3() -> AsyncIterator[PbxSimulatorV3]:
    s = PbxSimulatorV3(DOMAIN, KEY, knobs=V3Knobs(stamp_unit="us", echo_req_id=False), time_scale=20.0)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def app3(api: StandIn, sim3: PbxSimulatorV3) -> AsyncIterator[Application]:
    settings = settings_for(
        api, onpbx_domain=DOMAIN, onpbx_key=SecretStr(KEY), onpbx_url=sim3.url, onpbx_http_url=sim3.http_url,
        bot_admins=f"telegram:{ADMIN}", bot_language="en", bot_reg_grace_s=0.0,
    )
    application = Application(settings, MemoryStore())
    await application.start()
    assert await application.pbx.wait_connected(10.0)
    yield application
    await application.stop()


async def test_missed_call_hangup_and_missing_commands_on_3_0(
    api: StandIn, sim3: PbxSimulatorV3, app3: Application
) -> None:
    assert app3.pbx_api.api_name == "3.0"
    assert "201" in (await say(api, 501, "/bind 201"))["text"]
    before = len(api.of("sendMessage"))
    call = {"from": "79161234567", "name": "<b>x</b>", "to": "201", "ring": ["201"],
            "outcome": "missed", "ring_s": 1, "cause": "NO_ANSWER"}  # fmt: skip
    await sim3.play(parse_scenario({"steps": [{"at": 0.0, "call": call}]}))
    alert = (await api.wait_for("sendMessage", before + 1, within=15.0))[before]
    assert alert["chat_id"] == "501" and "&lt;b&gt;x&lt;/b&gt;" in alert["text"]
    await app3.events_processed()
    await asyncio.sleep(0.5)
    assert len(api.of("sendMessage")) == before + 1  # alerted once

    listen = await say(api, 501, "/listen 201")
    assert html.unescape(listen["text"]) == "Not available on this PBX's API (3.0)."

    ringing = {**call, "name": "Long", "ring_s": 60}
    await sim3.play(parse_scenario({"steps": [{"at": 0.0, "call": ringing}]}))
    await until(lambda: len(app3.tracker.active_calls()) == 1, 10.0)
    uuid = app3.tracker.active_calls()[0].call_id
    before = len(api.of("sendMessage"))
    api.push_message(501, f"/hangup {uuid}", user_id=ADMIN)  # its reply may race the call's alert
    await until(lambda: any("Hung up" in m["text"] for m in api.of("sendMessage")[before:]), 10.0)
    assert ("hangup_channel", {"uuid": uuid}) in sim3.commands_received
