"""Slack identities are ids, not handles: the real Bolt/slack_sdk adapter over Socket Mode against
the stand-in, with the real CommandService behind it.

/pbx grant takes a mention (the manifest escapes them to ``<@U…|name>``) and resolves the member
id and workspace with ``users.info``; a handle that several people share, or a person from another
organisation in a shared channel, is refused. The /call "which extension" buttons reach Slack.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.slack import SlackAdapter
from bot.domain import ChatRef, Role
from tests.fakes import Conversation
from tests.slack.fakes import slack_settings
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(20)
ADMIN, TEAM, CHANNEL = "U0ADMIN", "T1", "C0OPS"
_ids = itertools.count(1)


@pytest.fixture
def talk() -> Conversation:
    return Conversation(admins=f"slack:{ADMIN}")


@pytest.fixture
async def live(standin: SlackStandIn, talk: Conversation) -> AsyncIterator[SlackAdapter]:
    settings = slack_settings(
        slack_bot_token="xoxb-test-token", slack_app_token="xapp-test-token", slack_api_url=standin.api_url
    )
    slack = SlackAdapter(settings, talk.service)
    await slack.start()
    try:
        await standin.wait_for(lambda: standin.ws_connected.is_set())
        yield slack
    finally:
        await slack.stop()


def person(user_id: str, name: str, team: str) -> dict[str, Any]:
    return {"ok": True, "user": {"id": user_id, "name": name, "team_id": team}}


async def envelope(
    standin: SlackStandIn, kind: str, payload: dict[str, Any], reply: str
) -> list[dict[str, Any]]:
    n = next(_ids)
    await standin.send_envelope({"envelope_id": f"e{n}", "type": kind, "payload": payload})
    await standin.wait_for(lambda: any(name == reply for name, _ in standin.responses), within=10.0)
    return [body for name, body in standin.responses if name == reply]


async def slash(standin: SlackStandIn, text: str, user: str = ADMIN, user_name: str = "boss") -> str:
    """``/pbx text`` in the shared channel; the reply's text."""
    reply = f"r{next(_ids)}"
    payload = {"command": "/pbx", "text": text, "user_id": user, "user_name": user_name,
               "channel_id": CHANNEL, "channel_name": "ops", "team_id": TEAM, "api_app_id": "A1",
               "response_url": standin.response_url(reply), "token": "legacy"}  # fmt: skip
    bodies = await envelope(standin, "slash_commands", payload, reply)
    return "\n".join(str(b.get("text", "")) for b in bodies)


async def test_grant_by_mention_resolves_the_member_id(
    standin: SlackStandIn, talk: Conversation, live: SlackAdapter
) -> None:
    standin.script("users.info", 200, person("U0ANNA", "anna", TEAM))
    reply = await slash(standin, "grant <@U0ANNA|anna> operator")
    assert "anna is now operator in this chat" in reply
    assert await talk.store.roles_of("slack", "U0ANNA") == {CHANNEL: Role.OPERATOR}
    assert [c.body.get("user") for c in standin.ok_calls("users.info")] == ["U0ANNA"]


async def test_person_from_another_organisation_is_refused(
    standin: SlackStandIn, talk: Conversation, live: SlackAdapter
) -> None:
    standin.script("users.info", 200, person("U0EVE", "eve", "T2EXTERNAL"))
    reply = await slash(standin, "grant <@U0EVE|eve> admin")
    assert "eve is from another organisation" in reply
    assert await talk.store.roles_of("slack", "U0EVE") == {}
    assert (await talk.last_audit()).result == "invalid: args.foreign_user"


async def test_a_handle_shared_by_two_people_is_refused(
    standin: SlackStandIn, talk: Conversation, live: SlackAdapter
) -> None:
    await slash(standin, "help", user="U0SAM1", user_name="sam")
    await slash(standin, "help", user="U0SAM2", user_name="sam")
    for handle in ("@sam", "sam"):
        reply = await slash(standin, f"grant {handle} viewer")
        assert "@sam matches 2 people" in reply and "mention" in reply, reply
    assert await talk.store.roles_of("slack", "U0SAM1") == await talk.store.roles_of("slack", "U0SAM2") == {}
    await slash(standin, "help", user="U0BOB", user_name="bob")
    assert "@bob is now viewer" in await slash(standin, "grant @bob viewer")  # one person: fine


async def test_which_extension_buttons_reach_slack_and_dial(
    standin: SlackStandIn, talk: Conversation, live: SlackAdapter
) -> None:
    for ext in ("201", "202"):
        await talk.store.ensure_chat(ChatRef("slack", CHANNEL), title="ops", language="en", timezone="UTC")
        await talk.store.bind(ChatRef("slack", CHANNEL), ext)
    reply = f"r{next(_ids)}"
    payload = {"command": "/pbx", "text": "call 8 916 123-45-67", "user_id": ADMIN, "user_name": "boss",
               "channel_id": CHANNEL, "channel_name": "ops", "team_id": TEAM, "api_app_id": "A1",
               "response_url": standin.response_url(reply), "token": "legacy"}  # fmt: skip
    [body] = await envelope(standin, "slash_commands", payload, reply)
    blocks = body["blocks"] if isinstance(body["blocks"], list) else json.loads(body["blocks"])
    values = [e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert values == ["+79161234567@201", "+79161234567@202"]
    press = {
        "type": "block_actions", "user": {"id": ADMIN, "username": "boss", "team_id": TEAM},
        "api_app_id": "A1", "team": {"id": TEAM}, "token": "legacy", "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1700000000.000009", "channel_id": CHANNEL},
        "channel": {"id": CHANNEL, "name": "ops"}, "response_url": standin.response_url("press"),
        "actions": [{"type": "button", "action_id": "pbx_call.1", "block_id": "b", "value": values[1],
                     "action_ts": "1700000001.0"}],
    }  # fmt: skip
    answers = await envelope(standin, "interactive", press, "press")
    assert any("Calling 79161234567 from 202" in str(a.get("text")) for a in answers)
    assert talk.pbx.sent == [("make_call", {"from": "202", "to": "79161234567"})]
