"""The whole bot on API 3.0 with the Slack stand-in over Socket Mode: the missed-call alert, a
socket command over 3.0, and the plain answer for a command 3.0 lacks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from adapters.pbx.simulator.scenario import parse_scenario
from adapters.pbx.simulator.v3_server import PbxSimulatorV3, V3Knobs
from bot.cli.app import Application
from storage.memory import MemoryStore
from tests.faults.harness import until
from tests.slack.fakes import slack_settings
from tests.slack.standin import SlackStandIn
from tests.slack.test_e2e import ADMIN, DOMAIN, KEY, posts_to, slash

pytestmark = pytest.mark.timeout(40)


@pytest.fixture
async def sim3() -> AsyncIterator[PbxSimulatorV3]:
    s = PbxSimulatorV3(DOMAIN, KEY, knobs=V3Knobs(stamp_unit="s", group_names="any"), time_scale=20.0)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def app3(standin: SlackStandIn, sim3: PbxSimulatorV3) -> AsyncIterator[Application]:
    settings = slack_settings(
        slack_bot_token=SecretStr("xoxb-e2e-token"), slack_app_token=SecretStr("xapp-e2e-token"),
        slack_api_url=standin.api_url, onpbx_domain=DOMAIN, onpbx_key=SecretStr(KEY), onpbx_url=sim3.url,
        onpbx_http_url=sim3.http_url,
        bot_admins=f"slack:{ADMIN}", bot_language="en", bot_reg_grace_s=0.0,
    )  # fmt: skip
    application = Application(settings, MemoryStore())
    await application.start()
    try:
        assert await application.pbx.wait_connected(10.0)
        await standin.wait_for(lambda: standin.ws_connected.is_set())
        yield application
    finally:
        await application.stop()


async def test_missed_call_transfer_and_missing_command_on_3_0(
    standin: SlackStandIn, sim3: PbxSimulatorV3, app3: Application
) -> None:
    assert "201" in await slash(standin, "C0OPS", "bind 201")
    assert "Not available on this PBX's API (3.0)" in await slash(standin, "C0OPS", "reboot 201 yealink")
    call = {"from": "79161234567", "name": "<b>x</b>", "to": "201", "ring": ["201"], "outcome": "missed",
            "ring_s": 1, "cause": "NO_ANSWER"}  # fmt: skip
    await sim3.play(parse_scenario({"steps": [{"at": 0.0, "call": call}]}))
    await standin.wait_for(lambda: len(posts_to(standin, "C0OPS")) == 1, within=15.0)
    alert = posts_to(standin, "C0OPS")[0]
    assert "&lt;b&gt;x&lt;/b&gt;" in alert["text"] and "<b>" not in json.dumps(alert["blocks"])
    await app3.events_processed()
    await asyncio.sleep(0.5)
    assert len(posts_to(standin, "C0OPS")) == 1  # alerted once

    await sim3.play(parse_scenario({"steps": [{"at": 0.0, "call": {**call, "name": "Long", "ring_s": 60}}]}))
    await until(lambda: len(app3.tracker.active_calls()) == 1, 10.0)
    uuid = app3.tracker.active_calls()[0].call_id
    assert "Transferred to 202" in await slash(standin, "C0OPS", f"transfer 202 {uuid}")
    await until(lambda: any(n == "transfer" for n, _ in sim3.commands_received), 10.0)
    assert ("transfer", {"uuid": uuid, "to": "202"}) in sim3.commands_received
