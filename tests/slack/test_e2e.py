"""The whole bot (bot/cli/app.py) with the PBX simulator and the Slack stand-in, over Socket Mode."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.pbx.simulator import PbxSimulator
from adapters.pbx.simulator.scenario import parse_scenario
from bot.cli.app import Application
from storage.memory import MemoryStore
from tests.slack.fakes import slack_settings
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(40)
DOMAIN, KEY = "example.onpbx.ru", "s3cr3t-key"
ADMIN, STRANGER = "U0ADMIN", "U0STRANGER"
_ids = itertools.count(1)


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    s = PbxSimulator(DOMAIN, KEY, time_scale=20.0, heartbeat_interval=5.0, heartbeat_timeout=5.0)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def app(standin: SlackStandIn, sim: PbxSimulator) -> AsyncIterator[Application]:
    settings = slack_settings(
        slack_bot_token=SecretStr("xoxb-e2e-token"), slack_app_token=SecretStr("xapp-e2e-token"),
        slack_api_url=standin.api_url, onpbx_domain=DOMAIN, onpbx_key=SecretStr(KEY), onpbx_url=sim.url,
        bot_admins=f"slack:{ADMIN}", bot_language="en", bot_reg_grace_s=0.0,
    )  # fmt: skip
    application = Application(settings, MemoryStore())
    await application.start()
    try:
        await sim.wait_clients(1)
        await standin.wait_for(lambda: standin.ws_connected.is_set())
        yield application
    finally:
        await application.stop()


async def slash(
    standin: SlackStandIn, channel: str, text: str, user: str = ADMIN, channel_name: str = "ops"
) -> str:
    """Type ``/pbx text``; returns the text of the reply posted to the response_url."""
    n = next(_ids)
    payload = {"command": "/pbx", "text": text, "user_id": user, "user_name": user.lower(),
               "channel_id": channel, "channel_name": channel_name, "team_id": "T1", "api_app_id": "A1",
               "response_url": standin.response_url(f"r{n}"), "token": "legacy"}  # fmt: skip
    await standin.send_envelope({"envelope_id": f"e{n}", "type": "slash_commands", "payload": payload})
    await standin.wait_for(
        lambda: (
            any(name == f"r{n}" for name, _ in standin.responses)
            and any(a.get("envelope_id") == f"e{n}" for a in standin.acks)
        ),
        within=10.0,
    )
    return "\n".join(json.dumps(body) for name, body in standin.responses if name == f"r{n}")


def posts_to(standin: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    return [c.body for c in standin.ok_calls("chat.postMessage") if c.body.get("channel") == channel]


async def missed_call(sim: PbxSimulator, ext: str, name: str = "Ivan") -> None:
    call = {"from": "79161234567", "name": name, "to": ext, "ring": [ext], "outcome": "missed",
            "ring_s": 1, "cause": "NO_ANSWER"}  # fmt: skip
    await sim.play(parse_scenario({"steps": [{"at": 0.0, "call": call}]}))


async def test_bind_who_stranger_and_missed_call_button(
    standin: SlackStandIn, sim: PbxSimulator, app: Application
) -> None:
    assert "201" in await slash(standin, "C0OPS", "bind 201")
    assert "201" in await slash(standin, "C0OPS", "who")
    refused = await slash(standin, "C0OTHER", "call 79161234567", user=STRANGER)
    assert "not allowed" in refused.lower()
    assert not [c for c in sim.commands_received if c[0] == "make_call"]

    await missed_call(sim, "201", "<b>x</b>")
    await standin.wait_for(lambda: len(posts_to(standin, "C0OPS")) == 1, within=15.0)
    alert = posts_to(standin, "C0OPS")[0]
    assert "&lt;b&gt;x&lt;/b&gt;" in alert["text"] and "<b>" not in json.dumps(alert["blocks"])
    button = next(e for b in alert["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == "pbx_call" and button["value"] == "79161234567"
    await asyncio.sleep(1.0)
    assert len(posts_to(standin, "C0OPS")) == 1  # alerted once

    ts = standin.ok_calls("chat.postMessage")[0].body.get("ts") or "1700000000.000001"
    press = {"type": "block_actions", "user": {"id": ADMIN, "username": "admin"}, "team": {"id": "T1"},
             "api_app_id": "A1", "token": "legacy", "container": {"type": "message", "message_ts": ts,
             "channel_id": "C0OPS"}, "channel": {"id": "C0OPS", "name": "ops"},
             "response_url": standin.response_url("press"),
             "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"],
                          "block_id": "b", "action_ts": "1.0"}]}  # fmt: skip
    await standin.send_envelope({"envelope_id": "press", "type": "interactive", "payload": press})
    await sim.wait_for(lambda: any(c[0] == "make_call" for c in sim.commands_received))
    await standin.wait_for(lambda: any(name == "press" for name, _ in standin.responses), within=10.0)
    assert any("79161234567" in b["text"] for n, b in standin.responses if n == "press")


async def test_429_with_retry_after_is_delivered_exactly_once(
    standin: SlackStandIn, sim: PbxSimulator, app: Application
) -> None:
    await slash(standin, "C0ALERTS", "bind 202")
    standin.script("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    await missed_call(sim, "202")
    await standin.wait_for(lambda: len(posts_to(standin, "C0ALERTS")) == 1, within=15.0)
    await asyncio.sleep(1.5)
    attempts = [c for c in standin.calls if c.method == "chat.postMessage"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].body["text"] == attempts[1].body["text"]
