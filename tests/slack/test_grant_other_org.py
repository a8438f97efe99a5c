"""Issue 19 §3 through the real Slack adapter (Socket Mode against the stand-in) and the real
CommandService: a member id typed as plain text is looked up with ``users.info`` like a mention,
so a Slack Connect guest is refused by raw id as by mention; so is a plain @name the bot stored
with the guest's organisation; an Enterprise Grid id wins over a team id."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.slack import SlackAdapter
from tests.fakes import Conversation
from tests.slack.fakes import slack_settings
from tests.slack.standin import SlackStandIn
from tests.slack.test_identities import ADMIN, TEAM, _ids, envelope, person, slash

pytestmark = pytest.mark.timeout(20)


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


async def test_a_raw_member_id_of_a_guest_is_refused(
    standin: SlackStandIn, talk: Conversation, live: SlackAdapter
) -> None:
    standin.script("users.info", 200, person("U0EVE", "eve", "T2EXTERNAL"))
    reply = await slash(standin, "grant U0EVE admin")
    assert "another organisation" in reply
    assert [c.body.get("user") for c in standin.ok_calls("users.info")] == ["U0EVE"]
    assert await talk.store.roles_of("slack", "U0EVE") == {}


async def test_a_plain_name_of_a_guest_seen_before_is_refused(
    standin: SlackStandIn, talk: Conversation, live: SlackAdapter
) -> None:
    reply = f"r{next(_ids)}"
    payload = {"command": "/pbx", "text": "help", "user_id": "U0EVE", "user_name": "eve",
               "channel_id": "C0OPS", "channel_name": "ops", "team_id": "T2EXTERNAL", "api_app_id": "A1",
               "response_url": standin.response_url(reply), "token": "legacy"}  # fmt: skip
    await envelope(standin, "slash_commands", payload, reply)  # the guest's own command, from their team
    for handle in ("@eve", "eve"):
        assert "another organisation" in await slash(standin, f"grant {handle} operator")
    assert await talk.store.roles_of("slack", "U0EVE") == {}


async def test_an_enterprise_grid_id_is_the_organisation(
    standin: SlackStandIn, talk: Conversation, live: SlackAdapter
) -> None:
    grid = person("U0GRID", "gina", TEAM)  # the same team id, but another Grid org
    grid["user"]["enterprise_user"] = {"enterprise_id": "E9OTHER"}
    standin.script("users.info", 200, grid)
    assert "another organisation" in await slash(standin, "grant U0GRID viewer")
    assert await talk.store.roles_of("slack", "U0GRID") == {}
