"""Issue 19 §5: ``/pbx report today`` as a slash command uploads the chart as a file to the
channel (``response_url`` cannot carry a file), as a mention does; the other replies still go
through ``response_url``, and when the upload fails the numbers come back that way."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.charts.mpl import render_png
from adapters.slack import SlackAdapter
from bot.domain import HourlyChart, OutMessage, Span
from tests.slack.fakes import RecordingCore, slack_settings
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(20)
PNG = render_png(HourlyChart("t", ("09", "10"), (2, 1), (1, 0)))
REPORT = OutMessage((Span("Calls report: today\nInbound: 3"),), photo=PNG)


@pytest.fixture
async def adapter(standin: SlackStandIn, core: RecordingCore) -> AsyncIterator[SlackAdapter]:
    settings = slack_settings(
        slack_bot_token="xoxb-test-token", slack_app_token="xapp-test-token", slack_api_url=standin.api_url
    )
    slack = SlackAdapter(settings, core)
    await slack.start()
    try:
        await standin.wait_for(lambda: standin.ws_connected.is_set())
        yield slack
    finally:
        await slack.stop()


async def _slash(standin: SlackStandIn, reply: str) -> None:
    payload = {"command": "/pbx", "text": "report today", "user_id": "U0ABC", "user_name": "anna",
               "channel_id": "C0OPS", "channel_name": "ops", "team_id": "T1", "api_app_id": "A1",
               "response_url": standin.response_url(reply), "token": "legacy"}  # fmt: skip
    await standin.send_envelope({"envelope_id": reply, "type": "slash_commands", "payload": payload})


async def test_a_report_by_slash_command_uploads_its_chart(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    core.replies = [REPORT, OutMessage.plain("one more line")]
    await _slash(standin, "r1")
    await standin.wait_for(lambda: any(name == "r1" for name, _ in standin.responses), within=10.0)
    [done] = standin.ok_calls("files.completeUploadExternal")
    assert done.body["channel_id"] == "C0OPS" and "Inbound: 3" in done.body["initial_comment"]
    assert list(standin.uploads.values()) == [PNG]
    texts = [str(body.get("text")) for name, body in standin.responses if name == "r1"]
    assert texts == ["one more line"]  # the report itself is not posted twice


async def test_when_the_upload_fails_the_numbers_come_back_by_response_url(
    adapter: SlackAdapter, standin: SlackStandIn, core: RecordingCore
) -> None:
    standin.script("files.completeUploadExternal", 200, {"ok": False, "error": "not_in_channel"})
    core.replies = [REPORT]
    await _slash(standin, "r2")
    await standin.wait_for(lambda: any(name == "r2" for name, _ in standin.responses), within=10.0)
    texts = [str(body.get("text")) for name, body in standin.responses if name == "r2"]
    assert len(texts) == 1 and "Inbound: 3" in texts[0]
