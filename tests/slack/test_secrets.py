"""Tokens and the signing secret never reach a log line, even at DEBUG (SDK and Bolt included)."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack import SlackAdapter
from tests.slack.fakes import RecordingCore, sign, slack_settings
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(20)
BOT, APP, SECRET = "xoxb-LOGLEAK-bot", "xapp-LOGLEAK-app", "LOGLEAK-signing"


async def test_socket_mode_logs_no_token(
    standin: SlackStandIn, core: RecordingCore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = slack_settings(slack_bot_token=BOT, slack_app_token=APP, slack_api_url=standin.api_url)
    adapter = SlackAdapter(settings, core)
    await adapter.start()
    try:
        await standin.wait_for(lambda: standin.ws_connected.is_set())
        event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> who", "channel": "C1", "ts": "1.1"}
        payload = {"team_id": "T1", "api_app_id": "A1", "event": event, "type": "event_callback"}
        await standin.send_envelope({"envelope_id": "e1", "type": "events_api", "payload": payload})
        await standin.wait_for(lambda: bool(standin.ok_calls("chat.postMessage")))
        await adapter.check()
    finally:
        await adapter.stop()
    assert "chat.postMessage" in caplog.text  # the SDK did log at DEBUG
    assert BOT not in caplog.text and APP not in caplog.text


async def test_http_mode_logs_no_secret(
    standin: SlackStandIn, core: RecordingCore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = slack_settings(
        slack_bot_token=BOT, slack_signing_secret=SECRET, slack_http_port=0, slack_api_url=standin.api_url
    )
    adapter = SlackAdapter(settings, core, host="127.0.0.1")
    await adapter.start()
    try:
        body = urlencode({"command": "/pbx", "text": "who", "user_id": "U1", "channel_id": "C1",
                          "response_url": standin.response_url("r")})  # fmt: skip
        url = f"http://127.0.0.1:{adapter.http_port}/slack/events"
        async with aiohttp.ClientSession() as http:
            for headers in (
                sign(SECRET, body),
                sign("wrong", body),
                sign(SECRET, body, int(time.time()) - 600),
            ):
                async with http.post(url, data=body, headers=headers) as resp:
                    await resp.read()
        await standin.wait_for(lambda: len(standin.responses) == 1)
    finally:
        await adapter.stop()
    assert BOT not in caplog.text and SECRET not in caplog.text
