"""End to end over Socket Mode: a DM binds like a channel; live call cards are posted then updated;
the adapter calls ``auth.test`` only for ``check()`` (Bolt itself authorizes on the first event).

The whole app (bot/cli/app.py) with the PBX simulator and the Slack stand-in.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from adapters.pbx.simulator import PbxSimulator
from adapters.pbx.simulator.scenario import parse_scenario
from adapters.slack import SlackAdapter
from bot.cli.app import Application
from bot.domain import ChatRef
from tests.slack.standin import SlackStandIn
from tests.slack.test_e2e import app, missed_call, posts_to, sim, slash  # noqa: F401  (fixtures reused)

pytestmark = pytest.mark.timeout(40)
DM, CARDS = "D0ADMINDM", "C0CARDS"


async def test_dm_binds_and_gets_the_missed_call_alert(
    standin: SlackStandIn, sim: PbxSimulator, app: Application  # noqa: F811
) -> None:
    reply = await slash(standin, DM, "bind 201", channel_name="directmessage")
    assert "bound to 201" in reply
    assert await app.store.extensions_of(ChatRef("slack", DM)) == ["201"]
    await missed_call(sim, "201", "Maria")
    await standin.wait_for(lambda: len(posts_to(standin, DM)) == 1, within=15.0)
    alert = posts_to(standin, DM)[0]
    assert "Maria" in alert["text"] and "79161234567" in json.dumps(alert["blocks"])
    await asyncio.sleep(0.5)
    assert len(posts_to(standin, DM)) == 1  # once, and only to the DM


async def test_call_card_is_posted_once_then_updated_in_place(
    standin: SlackStandIn, sim: PbxSimulator, app: Application  # noqa: F811
) -> None:
    await slash(standin, CARDS, "bind 203")
    assert "calls" in await slash(standin, CARDS, "subscribe calls on")
    call = {"from": "74951112233", "name": "Olga", "to": "203", "ring": ["203"], "outcome": "answered",
            "answered_by": "203", "ring_s": 20, "talk_s": 40}  # 1 s ringing, 2 s talking at x20
    await sim.play(parse_scenario({"steps": [{"at": 0.0, "call": call}]}))

    def updates() -> list[dict[str, object]]:
        return [c.body for c in standin.ok_calls("chat.update") if c.body.get("channel") == CARDS]

    await standin.wait_for(lambda: any("Ended" in str(u["text"]) for u in updates()), within=15.0)
    posted = posts_to(standin, CARDS)
    assert len(posted) == 1 and "Ringing" in posted[0]["text"] and "Olga" in posted[0]["text"]
    ts = "1700000000.000001"  # the stand-in's ts for the first chat.postMessage
    assert [u["ts"] for u in updates()] == [ts] * len(updates())  # the same message, edited
    texts = [str(u["text"]) for u in updates()]
    assert any("Answered by 203" in x for x in texts) and "Ended" in texts[-1]
    await asyncio.sleep(0.5)
    assert len(posts_to(standin, CARDS)) == 1  # never re-posted


async def test_start_skips_auth_test_and_check_calls_it(
    standin: SlackStandIn, sim: PbxSimulator, app: Application  # noqa: F811
) -> None:
    assert [c.method for c in standin.calls] == ["apps.connections.open"]  # start() does not call it
    adapter = next(a for a in app.adapters if isinstance(a, SlackAdapter))
    assert await adapter.check() == "bot @pbxbot (UBOT) in Team"
    probe = [c for c in standin.calls if c.method == "auth.test"]
    assert len(probe) == 1 and probe[0].headers["authorization"] == "Bearer xoxb-e2e-token"
