"""Reports on Slack: a photo becomes a file upload in the channel through the real slack_sdk
``files_upload_v2`` (upload URL, raw bytes, completion with the numbers as the comment)."""

from __future__ import annotations

import json

import pytest

from adapters.charts.mpl import render_png
from adapters.slack import SlackSender
from adapters.slack.sender import build_web_client
from bot.domain import ChatRef, HourlyChart, OutMessage, Span
from bot.errors import ChatGone
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(20)
CHAT = ChatRef("slack", "C0REPORTS")
PNG = render_png(HourlyChart("t", ("09", "10"), (2, 1), (1, 0)))


async def test_photo_is_uploaded_as_a_file_in_the_channel(standin: SlackStandIn) -> None:
    sender = SlackSender(build_web_client("xoxb-token", standin.api_url))
    file_id = await sender.send(CHAT, OutMessage((Span("Calls report: 15.11.2023\nInbound: 7"),), photo=PNG))
    assert file_id == "F1" and standin.uploads == {"F1": PNG}
    [ask] = standin.ok_calls("files.getUploadURLExternal")
    assert (ask.body["filename"], int(ask.body["length"])) == ("report.png", len(PNG))
    [done] = standin.ok_calls("files.completeUploadExternal")
    assert done.body["channel_id"] == "C0REPORTS"
    assert done.body["initial_comment"] == "Calls report: 15.11.2023\nInbound: 7"
    assert json.loads(done.body["files"]) == [{"id": "F1", "title": "report.png"}]
    assert standin.ok_calls("chat.postMessage") == []
    assert ask.headers["authorization"] == "Bearer xoxb-token"


async def test_upload_errors_are_typed(standin: SlackStandIn) -> None:
    standin.script("files.completeUploadExternal", 200, {"ok": False, "error": "channel_not_found"})
    sender = SlackSender(build_web_client("xoxb-token", standin.api_url))
    with pytest.raises(ChatGone):
        await sender.send(CHAT, OutMessage((Span("r"),), photo=PNG))
