"""Socket Mode through the real Bolt handler and slack_sdk's aiohttp client against a stand-in
that serves ``apps.connections.open``, the WebSocket (hello, envelopes, acks) and the Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.slack import SlackAdapter
from bot.domain import ChatRef, UserRef
from tests.slack.fakes import RecordingCore, slack_settings
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
async def adapter(standin: SlackStandIn, core: RecordingCore) -> AsyncIterator[SlackAdapter]:
    settings = slack_settings(
        slack_bot_token="xoxb-test-token", slack_app_token="xapp-test-token", slack_api_url=standin.api_url
    )
    slack = SlackAdapter(settings, core)
    assert slack.mode == "socket"
    await slack.start()
    try:
        await standin.wait_for(lambda: standin.ws_connected.is_set())
        yield slack
    finally:
        await slack.stop()


def acked(standin: SlackStandIn, envelope_id: str) -> bool:
    return any(a.get("envelope_id") == envelope_id for a in standin.acks)


async def test_slash_command_is_acked_and_answered(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    assert [c.method for c in standin.calls][:1] == ["apps.connections.open"]
    assert standin.calls[0].headers["authorization"] == "Bearer xapp-test-token"
    core.gate.clear()
    payload = {
        "command": "/pbx", "text": "bind 201", "user_id": "U0ABC", "user_name": "anna",
        "channel_id": "D0DM", "channel_name": "directmessage", "team_id": "T1", "api_app_id": "A1",
        "response_url": standin.response_url("slash"), "trigger_id": "1.2.3", "token": "legacy",
    }  # fmt: skip
    await standin.send_envelope(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": payload,
        }
    )
    await standin.wait_for(lambda: acked(standin, "env-1"))  # acked while the core is still busy
    cmd = core.commands[0]
    assert (cmd.chat, cmd.user, cmd.name, cmd.args) == (ChatRef("slack", "D0DM"), UserRef("slack", "U0ABC"),
                                                         "bind", ("201",))  # fmt: skip
    assert cmd.is_private and cmd.chat_title == "anna"
    core.gate.set()
    await standin.wait_for(lambda: len(standin.responses) == 1)
    assert standin.responses[0][0] == "slash"


async def test_mention_is_acked_and_answered_in_channel(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    event = {"type": "app_mention", "user": "U0ABC", "text": "<@UBOT> who", "ts": "1700000000.000100",
             "channel": "C0CHAN", "event_ts": "1700000000.000100"}  # fmt: skip
    payload = {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "event": event,
               "type": "event_callback", "event_id": "Ev1", "event_time": 1700000000,
               "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]}  # fmt: skip
    await standin.send_envelope({"envelope_id": "env-2", "type": "events_api", "payload": payload})
    await standin.wait_for(lambda: acked(standin, "env-2") and bool(standin.ok_calls("chat.postMessage")))
    assert [(c.name, c.args, c.chat) for c in core.commands] == [("who", (), ChatRef("slack", "C0CHAN"))]
    assert not core.commands[0].is_private
    assert core.commands[0].user.username == "name-of-U0ABC" == core.commands[0].user.display
    post = standin.ok_calls("chat.postMessage")[0]
    assert post.body["channel"] == "C0CHAN" and post.body["blocks"][0]["type"] == "section"
    assert post.headers["authorization"] == "Bearer xoxb-test-token"


async def test_button_press_is_acked_and_reaches_the_core(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    payload = {
        "type": "block_actions", "user": {"id": "U0ABC", "username": "anna", "team_id": "T1"},
        "api_app_id": "A1", "team": {"id": "T1"}, "token": "legacy", "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1700000000.000009", "channel_id": "C0CHAN"},
        "channel": {"id": "C0CHAN", "name": "ops"}, "response_url": standin.response_url("btn"),
        "actions": [{"type": "button", "action_id": "pbx_hangup.1", "block_id": "b", "value": "uuid-1",
                     "action_ts": "1700000001.0"}],
    }  # fmt: skip
    await standin.send_envelope({"envelope_id": "env-3", "type": "interactive", "payload": payload})
    await standin.wait_for(lambda: acked(standin, "env-3") and len(standin.responses) == 2)
    action = core.actions[0]
    assert (action.action, action.arg, action.message_id) == ("hangup", "uuid-1", "1700000000.000009")


async def test_garbage_envelope_does_not_stop_the_link(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    bad = {"type": "block_actions", "user": {"id": "U0ABC"}, "channel": {"id": "C0CHAN"},
           "actions": [{"type": "button", "action_id": "pbx_call", "value": "<script>"}]}  # fmt: skip
    await standin.send_envelope({"envelope_id": "env-4", "type": "interactive", "payload": bad})
    await standin.wait_for(lambda: acked(standin, "env-4"))
    event = {"type": "app_mention", "user": "U0ABC", "text": "<@UBOT>", "channel": "C0CHAN", "ts": "1.1"}
    await standin.send_envelope(
        {"envelope_id": "env-5", "type": "events_api",
         "payload": {"team_id": "T1", "api_app_id": "A1", "event": event, "type": "event_callback"}}
    )  # fmt: skip
    await standin.wait_for(lambda: acked(standin, "env-5") and len(core.commands) == 1)
    assert core.actions == [] and core.commands[0].name == "help"
