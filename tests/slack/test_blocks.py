"""Pure translation: mrkdwn escaping, Block Kit shape, payload parsing, SLACK_API_URL."""

from __future__ import annotations

import pytest

from adapters.slack import blocks, inbound
from adapters.slack.runner import SlackAdapter
from adapters.slack.sender import retry_after_seconds, validate_api_url
from bot.alerts.render import Renderer
from bot.config import read_settings
from bot.domain import Button, ChatRef, ChatSettings, MissedCall, OutMessage, Span
from bot.errors import ConfigError
from tests.slack.fakes import RecordingCore, slack_settings


def test_plain_span_cannot_inject_markup_or_links() -> None:
    assert blocks.span_to_mrkdwn(Span("<script>&*bold*")) == "&lt;script&gt;&amp;\u2217bold\u2217"
    assert blocks.neutralize("_it_ ~s~ `c` <@U1> <!channel>") == (
        "\u02cdit\u02cd \u223cs\u223c \u02cbc\u02cb &lt;@U1&gt; &lt;!channel&gt;"
    )
    assert blocks.escape("&amp;") == "&amp;amp;"  # escaped once, never decoded


def test_styles_wrap_the_trimmed_text() -> None:
    msg = OutMessage(
        (Span("Missed ", "bold"), Span("<x>", "code"), Span(" a*b ", "italic"), Span(" ", "bold"))
    )
    assert blocks.to_mrkdwn(msg) == "*Missed* `&lt;x&gt;` _a\u2217b_  "


def test_alert_with_call_back_button_has_block_kit_shape() -> None:
    alert = MissedCall(
        "a-1", "79161234567", "Ivan <b>", ("201",), "500", "74951112233", 0, 30_000, "NO_ANSWER"
    )
    msg = Renderer("RU").render(alert, ChatSettings(ChatRef("slack", "C1"), language="en", timezone="UTC"))
    text, body = blocks.render(msg)
    assert "<b>" not in text and "&lt;b&gt;" in text
    assert [b["type"] for b in body] == ["section", "actions"]
    assert body[0]["text"]["type"] == "mrkdwn" and "<b>" not in body[0]["text"]["text"]
    (button, done) = body[1]["elements"]
    assert done["action_id"] == "pbx_done" and done["value"] == "a-1"
    assert button["type"] == "button" and button["action_id"] == "pbx_call"
    assert button["value"] == "79161234567" and button["text"]["type"] == "plain_text"


def test_buttons_get_unique_action_ids_and_bad_args_are_dropped() -> None:
    row = (Button("H1", "hangup", "uuid-1"), Button("H2", "hangup", "uuid-2"), Button("X", "call", "1 2<"))
    (actions,) = blocks.to_blocks(OutMessage((), (row,)))
    assert [e["action_id"] for e in actions["elements"]] == ["pbx_hangup", "pbx_hangup.1"]
    assert [blocks.parse_action_id(e["action_id"]) for e in actions["elements"]] == ["hangup", "hangup"]
    assert blocks.parse_action_id("other_call") is None and blocks.parse_action_id("pbx_") is None


def test_long_text_is_split_into_sections() -> None:
    msg = OutMessage.plain("\n".join(f"line {i:05d}" for i in range(800)))
    body = blocks.to_blocks(msg)
    assert len(body) >= 3 and all(len(b["text"]["text"]) <= blocks.SECTION_LIMIT for b in body)


def test_slash_text_splits_into_command_and_args() -> None:
    assert inbound.split_command("") == ("help", (), "")
    assert inbound.split_command("  Call  8800 100 ") == ("call", ("8800", "100"), "8800 100")
    assert inbound.split_command("sipmsg 201 a &amp; b") == ("sipmsg", ("201", "a", "&", "b"), "201 a & b")
    assert inbound.strip_mention("<@UBOT> who", "UBOT") == "who"
    assert inbound.strip_mention("<@UOTHER> who", "UBOT") == "<@UOTHER> who"
    assert inbound.is_private("D123") and inbound.is_private("C1", "directmessage")
    assert not inbound.is_private("C123", "ops")


def test_payload_without_user_or_channel_is_dropped() -> None:
    assert inbound.command_from_slash({"text": "who", "channel_id": "C1"}) is None
    assert inbound.command_from_mention({"text": "<@U1> who", "user": "U2"}) is None
    assert inbound.action_from_block_actions({"actions": "junk"}) is None


@pytest.mark.parametrize("url", ["https://example.com/api", "ftp://x/api/", "example.com/api/", "https://h/"])
def test_bad_api_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="SLACK_API_URL"):
        validate_api_url(url)
    # the setting is refused when read, with the other problems, naming it and a valid value
    _, problems = read_settings(_env_file=None, slack_bot_token="xoxb-secret-1", slack_app_token="xapp-2",
                                slack_api_url=url)
    [problem] = problems
    assert problem.startswith("SLACK_API_URL: ") and "e.g. https://slack.com/api/" in problem
    assert "xoxb-secret-1" not in problem


def test_good_api_urls() -> None:
    assert validate_api_url("") == "https://slack.com/api/"
    assert validate_api_url("http://127.0.0.1:9/api/") == "http://127.0.0.1:9/api/"


def test_adapter_needs_a_transport() -> None:
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        SlackAdapter(slack_settings(slack_bot_token="xoxb-1", slack_signing_secret="s"), RecordingCore())
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        SlackAdapter(slack_settings(slack_app_token="xapp-1"), RecordingCore())


def test_retry_after_header_forms() -> None:
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": ["1"]}) == 1.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None and retry_after_seconds({}) is None
