"""Commands and button presses through the real aiogram client against the stand-in."""

from __future__ import annotations

import asyncio
import html

import pytest

from adapters.telegram import TelegramAdapter
from bot.domain import ActionReply, Button, ChatRef, OutMessage, Span, UserRef
from tests.telegram.fakes import FakeCore
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(20)


async def test_private_command_is_translated_and_replied(
    api: StandIn, core: FakeCore, adapter: TelegramAdapter
) -> None:
    api.push_message(501, "/Call  88001006729   now\n")
    sent = await api.wait_for("sendMessage")
    cmd = core.commands[0]
    assert cmd.chat == ChatRef("telegram", "501")
    assert cmd.user == UserRef("telegram", "777")
    assert (cmd.user.display, cmd.user.username) == ("Ivan Petrov", "ivan")
    assert (cmd.name, cmd.args, cmd.text) == ("call", ("88001006729", "now"), "88001006729   now")
    assert cmd.is_private and cmd.chat_title == "Ivan Petrov"
    assert sent[0]["chat_id"] == "501" and sent[0]["text"] == "ok call"
    assert sent[0]["parse_mode"] == "HTML"


async def test_group_command_addressed_to_us_and_to_another_bot(
    api: StandIn, core: FakeCore, adapter: TelegramAdapter
) -> None:
    api.push_message(-300, "/who@otherbot", title="Ops")
    api.push_message(-300, "/who@ONPBX_test_bot 101", title="Ops")
    api.push_message(-300, "hello, no command", title="Ops")
    await api.wait_for("sendMessage")
    await asyncio.sleep(0.2)
    assert len(core.commands) == 1
    cmd = core.commands[0]
    assert (cmd.name, cmd.args, cmd.chat_title, cmd.is_private) == ("who", ("101",), "Ops", False)
    assert len(api.of("sendMessage")) == 1


async def test_reply_is_escaped_html(api: StandIn, core: FakeCore, adapter: TelegramAdapter) -> None:
    evil = '<b>x</b> & "y"'
    core.replies["who"] = [OutMessage((Span("Caller: ", "bold"), Span(evil), Span(evil, "code")))]
    api.push_message(501, "/who")
    text = (await api.wait_for("sendMessage"))[0]["text"]
    assert text == f"<b>Caller: </b>{html.escape(evil)}<code>{html.escape(evil)}</code>"
    assert "<b>x</b>" not in text


async def test_buttons_round_trip(api: StandIn, core: FakeCore, adapter: TelegramAdapter) -> None:
    buttons = ((Button("Call back", "call", "79161234567"), Button("Hang up", "hangup", "a1b2-c3")),)
    core.replies["calls"] = [OutMessage((Span("card"),), buttons)]
    core.action_reply = ActionReply("Calling…", (OutMessage.plain("dialing"),), OutMessage.plain("done"))
    api.push_message(-300, "/calls")
    sent = (await api.wait_for("sendMessage"))[0]
    row = sent["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in row] == ["c:79161234567", "h:a1b2-c3"]
    api.push_callback(-300, 555, row[0]["callback_data"], user_id=9)
    toast = (await api.wait_for("answerCallbackQuery"))[0]
    edit = (await api.wait_for("editMessageText"))[0]
    action = core.actions[0]
    assert (action.action, action.arg, action.message_id) == ("call", "79161234567", "555")
    assert action.chat == ChatRef("telegram", "-300") and action.user.user_id == "9"
    assert toast["text"] == "Calling…" and toast["callback_query_id"] == "q555"
    assert [m["text"] for m in api.of("sendMessage")][1] == "dialing"
    assert (edit["message_id"], edit["text"]) == ("555", "done")


@pytest.mark.parametrize("data", ["x:1", "c:12;rm -rf", "c:", "y:" + "a" * 70, "callback"])
async def test_invalid_callback_data_refused(
    api: StandIn, core: FakeCore, adapter: TelegramAdapter, data: str
) -> None:
    core.languages["501"] = "ru"  # the chat's language, whatever the user's app speaks
    api.push_callback(501, 42, data, language_code="en")
    toast = (await api.wait_for("answerCallbackQuery"))[0]
    assert toast["text"] == "Эта кнопка больше не действует."
    assert core.actions == []


async def test_menus_published_per_language(api: StandIn, adapter: TelegramAdapter) -> None:
    calls = api.of("setMyCommands")
    by_lang = {c.get("language_code"): [x["command"] for x in c["commands"]] for c in calls}
    assert by_lang["ru"] == by_lang["en"] == ["help", "who"]
    descriptions = {c.get("language_code"): c["commands"][0]["description"] for c in calls}
    assert descriptions["ru"] == "Справка" and descriptions["en"] == "Help"


async def test_handler_error_apologizes_and_polling_continues(
    api: StandIn, core: FakeCore, adapter: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    core.fail_on.add("boom")
    core.languages["501"] = "ru"  # a Russian chat: the apology is Russian for an English-speaking user too
    api.push_message(501, "/boom", language_code="en")
    apology = (await api.wait_for("sendMessage"))[0]
    assert apology["text"].startswith("Извините")
    api.push_message(502, "/help", language_code="en")
    later = await api.wait_for("sendMessage", 2)
    assert later[1]["text"] == "ok help" and later[1]["chat_id"] == "502"
    failures = [r for r in caplog.records if "failed" in r.getMessage() and "/boom" in r.getMessage()]
    assert len(failures) == 1 and "501" in failures[0].getMessage()


async def test_migration_message_moves_the_chat(
    api: StandIn, core: FakeCore, adapter: TelegramAdapter
) -> None:
    api.push_message(-300, None, migrate_to_chat_id=-1001234)
    api.push_message(-1001234, "/help")
    await api.wait_for("sendMessage")
    assert core.migrations == [(ChatRef("telegram", "-300"), ChatRef("telegram", "-1001234"))]
