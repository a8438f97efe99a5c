"""HTTP mode through the real Bolt aiohttp app: signed requests in, response_url posts out."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack import SlackAdapter
from bot.domain import ChatAction, ChatCommand, ChatRef, OutMessage, UserRef
from tests.slack.fakes import RecordingCore, sign, slack_settings
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(20)
SECRET = "test-signing-secret-123"


@pytest.fixture
async def adapter(standin: SlackStandIn, core: RecordingCore) -> AsyncIterator[SlackAdapter]:
    settings = slack_settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_http_port=0,
        slack_api_url=standin.api_url,
    )
    slack = SlackAdapter(settings, core, host="127.0.0.1")
    await slack.start()
    yield slack
    await slack.stop()


def slash_body(standin: SlackStandIn, text: str) -> str:
    return urlencode(
        {
            "command": "/pbx",
            "text": text,
            "user_id": "U0ABC",
            "user_name": "anna",
            "channel_id": "C0CHAN",
            "channel_name": "ops",
            "team_id": "T1",
            "api_app_id": "A1",
            "response_url": standin.response_url("cmd"),
            "trigger_id": "1.2.3",
            "token": "legacy",
        }
    )


async def post(adapter: SlackAdapter, body: str, headers: dict[str, str]) -> tuple[int, float]:
    started = time.monotonic()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{adapter.http_port}/slack/events", data=body.encode(), headers=headers
        ) as resp,
    ):
        await resp.read()
        return resp.status, time.monotonic() - started


async def test_valid_slash_command_is_acked_before_the_core_answers(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    core.gate.clear()  # a slow PBX: the core does not answer until we let it
    body = slash_body(standin, "call  88001006729")
    status, took = await post(adapter, body, sign(SECRET, body))
    assert status == 200 and took < 3.0
    assert core.commands == [
        ChatCommand(
            chat=ChatRef("slack", "C0CHAN"),
            user=UserRef("slack", "U0ABC"),
            name="call",
            args=("88001006729",),
            text="88001006729",
            chat_title="ops",
            is_private=False,
            org="T1",  # the workspace the command was typed in
        )
    ]
    assert core.commands[0].user.username == "anna"
    assert standin.responses == []
    core.gate.set()
    await standin.wait_for(lambda: len(standin.responses) == 1)
    name, reply = standin.responses[0]
    assert name == "cmd" and reply["response_type"] == "in_channel"
    assert reply["blocks"][0]["text"] == {"type": "mrkdwn", "text": "*201* online &lt;ok&gt;"}


async def test_bare_pbx_is_help(adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore) -> None:
    body = slash_body(standin, "")
    status, _ = await post(adapter, body, sign(SECRET, body))
    assert status == 200
    await standin.wait_for(lambda: len(standin.responses) == 1)
    assert core.commands[0].name == "help" and core.commands[0].args == ()


async def test_bad_signature_is_refused(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    body = slash_body(standin, "who")
    status, _ = await post(adapter, body, sign("not-the-secret", body))
    assert status == 401
    tampered = slash_body(standin, "bind 201")
    status, _ = await post(adapter, tampered, sign(SECRET, body))
    assert status == 401
    assert core.commands == [] and standin.responses == []


async def test_stale_timestamp_is_refused(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    body = slash_body(standin, "who")
    status, _ = await post(adapter, body, sign(SECRET, body, int(time.time()) - 400))
    assert status == 401
    assert core.commands == []


async def test_button_press_reaches_handle_action(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0ABC", "username": "anna", "team_id": "T1"},
        "api_app_id": "A1",
        "team": {"id": "T1"},
        "token": "legacy",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C0CHAN"},
        "channel": {"id": "C0CHAN", "name": "ops"},
        "response_url": standin.response_url("btn"),
        "message": {"ts": "1700000000.000001", "text": "Missed call"},
        "actions": [
            {
                "type": "button",
                "action_id": "pbx_call",
                "block_id": "b",
                "value": "79161234567",
                "action_ts": "1700000001.0",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    status, took = await post(adapter, body, sign(SECRET, body))
    assert status == 200 and took < 3.0
    await standin.wait_for(lambda: len(standin.responses) == 2)
    assert core.actions == [
        ChatAction(
            ChatRef("slack", "C0CHAN"), UserRef("slack", "U0ABC"), "call", "79161234567", "1700000000.000001"
        )
    ]
    edit, toast = (r for _, r in standin.responses)
    assert edit["replace_original"] is True and edit["text"] == "Called back"
    assert toast["response_type"] == "ephemeral" and toast["text"] == "Calling…"


async def test_core_failure_and_many_replies(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    core.fail = True
    body = slash_body(standin, "who")
    assert (await post(adapter, body, sign(SECRET, body)))[0] == 200
    await standin.wait_for(lambda: len(standin.responses) == 1)
    assert standin.responses[0][1]["text"] == "Что-то пошло не так, попробуйте ещё раз."  # the chat's
    core.chat_language = "en"
    body = slash_body(standin, "who")
    assert (await post(adapter, body, sign(SECRET, body)))[0] == 200
    await standin.wait_for(lambda: len(standin.responses) == 2)
    assert standin.responses[1][1]["text"] == "Something went wrong, please try again."
    del standin.responses[1]
    core.fail = False
    core.replies = [OutMessage.plain(f"part {i}") for i in range(8)]
    body = slash_body(standin, "calls")
    assert (await post(adapter, body, sign(SECRET, body)))[0] == 200
    await standin.wait_for(lambda: len(standin.responses) == 6)  # response_url takes at most five
    texts = [r["text"] for _, r in standin.responses[1:]]
    assert texts[:4] == ["part 0", "part 1", "part 2", "part 3"]
    assert texts[4] == "part 4\n\npart 5\n\npart 6\n\npart 7"
