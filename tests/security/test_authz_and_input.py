"""Security through the whole bot: a stranger in a bound group cannot dial, and chat arguments
full of shell, SQL and markup metacharacters stay plain text (stored and audited verbatim, the
SQLite schema intact, escaped by the Telegram and Slack renderers).

Forged Slack signatures / stale timestamps: tests/slack/test_http_mode.py
(test_bad_signature_is_refused, test_stale_timestamp_is_refused); Telegram webhook calls without
the secret: tests/telegram/test_webhook.py (test_secret_checked). Not duplicated here."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from adapters.slack.blocks import to_mrkdwn
from adapters.telegram.render import to_html
from bot.alerts.render import Renderer
from bot.domain import ChatCommand, ChatRef, ChatSettings, MissedCall, Role, UserRef
from tests.faults.harness import BotRig

pytestmark = pytest.mark.timeout(30)
GROUP = ChatRef("console", "-9001")
STRANGER = UserRef("console", "mallory", display="Mallory")
OPERATOR = UserRef("console", "olga", display="Olga")
NASTY = (
    "'; DROP TABLE chats; --",
    "$(rm -rf /) `id` && echo pwned | sh",
    "<b>bold</b> <a href=\"http://evil\">x</a> &amp; <script>",
    "*bold* _it_ <!channel> <@U123|boss> ~strike~ `code`",
    "\" OR 1=1; /* ünïcødé ☎ */",
)


def cmd(user: UserRef, name: str, text: str = "") -> ChatCommand:
    return ChatCommand(GROUP, user, name, tuple(text.split()), text, chat_title="Sales <team>")


def _tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"))


async def test_stranger_in_a_bound_group_cannot_dial(tmp_path: Path) -> None:
    async with BotRig(tmp_path) as rig:
        assert rig.app is not None and rig.store is not None
        await rig.store.ensure_chat(GROUP, title="Sales", language="en", timezone="UTC")
        await rig.store.bind(GROUP, "202")
        before = len(rig.sim.commands_received)
        for text in ("79161234567", "79161234567 from 201", "202"):
            replies = await rig.app.core.handle_command(cmd(STRANGER, "call", text))
            assert replies and "Calling" not in replies[0].text
        await rig.app.core.handle_command(cmd(STRANGER, "hangup", ""))
        assert [n for n, _ in list(rig.sim.commands_received)[before:]] == []  # nothing reached the PBX
        audit = await rig.store.recent_audit(10)
        assert audit and all(not a.allowed for a in audit if a.user_id == "mallory")
        await rig.store.grant("console", "olga", Role.OPERATOR, GROUP.chat_id)  # control: allowed
        replies = await rig.app.core.handle_command(cmd(OPERATOR, "call", "79161234567"))
        assert [n for n, _ in list(rig.sim.commands_received)[before:]] == ["make_call"], replies


async def test_metacharacters_are_plain_text(tmp_path: Path) -> None:
    async with BotRig(tmp_path) as rig:
        assert rig.app is not None and rig.store is not None
        tables = _tables(rig.db)
        await rig.store.grant("console", "olga", Role.ADMIN, "*")
        for nasty in NASTY:
            user = UserRef("console", "olga", display=nasty, username="olga")
            replies = await rig.app.core.handle_command(cmd(user, "sipmsg", f"201 {nasty}"))
            assert replies and "201" in replies[0].text, replies
            await rig.app.core.handle_command(cmd(user, "settings", nasty))
        sent = [d.get("text") for n, d in rig.sim.commands_received if n == "sip_message"]
        assert sent == [n.strip() for n in NASTY]  # reached the PBX verbatim
        audit = {a.args for a in await rig.store.recent_audit(50)}
        for nasty in NASTY:
            assert f"201 {nasty}" in audit and nasty in audit  # audited verbatim
        chat = await rig.store.get_chat(GROUP)
        assert chat is not None and chat.title == "Sales <team>"
        assert _tables(rig.db) == tables


@pytest.mark.parametrize("nasty", NASTY)
def test_renderers_escape_user_text(nasty: str) -> None:
    call = MissedCall("c1", "79161234567", nasty, ("201",), "201", "", 0, 1000, "NO_ANSWER")
    message = Renderer("RU").render(call, ChatSettings(GROUP, "x", "en", "UTC"))
    html = to_html(message)
    assert "<b>bold</b>" not in html.replace("<b>Missed call</b>", "") and "<script>" not in html
    assert "<a " not in html
    mrkdwn = to_mrkdwn(message)
    for raw in ("<!channel>", "<@U123|boss>", "<script>", "<a href"):
        assert raw not in mrkdwn
