"""CommandService conversations: authorization, help, settings, audit, error replies."""

from __future__ import annotations

import pytest

from bot.domain import Role
from bot.errors import InvalidArgument, PbxCommandError, PbxTimeout, PbxUnavailable
from tests.fakes import Conversation

U1 = "aaaaaaaa-0000-4000-8000-000000000001"
U2 = "aaaaaaaa-0000-4000-8000-000000000002"

# Every command that needs a role, as a stranger types it: refused, audited, nothing sent.
GUARDED = [
    "/who", "/calls", "/trunks", "/call 79161234567", "/hangup", f"/hangup {U1}", "/transfer 202",
    "/listen 202", "/sipmsg 202 hi", f"/bridge {U1} {U2}", "/bind 201", "/unbind", "/reboot 201",
    "/reloadgw 74951112233", "/flushreg 201", "/broadcast hello", "/subscribe missed on",
    "/settings language en", "/dial premium on", "/grant 5 viewer", "/revoke 5", "/admins", "/audit",
]


@pytest.fixture
async def bot() -> Conversation:
    conv = Conversation()
    await conv.bind("201")
    return conv


@pytest.mark.parametrize("line", GUARDED)
async def test_stranger_is_refused_and_nothing_reaches_the_pbx(bot: Conversation, line: str) -> None:
    reply = await bot.text("9", line)
    assert reply.startswith("Not allowed")
    assert bot.pbx.sent == []
    entry = await bot.last_audit()
    assert (entry.user_id, entry.command, entry.allowed) == ("9", line.split()[0][1:], False)
    assert entry.result == "denied: need_role"


OPERATOR_LINES = ["/call 79161234567", "/hangup", "/transfer 202", "/listen 202", "/sipmsg 202 x"]


@pytest.mark.parametrize("line", OPERATOR_LINES)
async def test_operator_commands_refused_in_an_unbound_chat(bot: Conversation, line: str) -> None:
    await bot.grant("2", Role.OPERATOR, "*")
    reply = await bot.text("2", line, chat="555")
    assert "not bound" in reply
    assert bot.pbx.sent == []
    assert (await bot.last_audit()).result == "denied: not_bound"


async def test_viewer_cannot_run_operator_commands(bot: Conversation) -> None:
    await bot.grant("3", Role.VIEWER)
    assert "operator" in await bot.text("3", "/call 79161234567")
    assert bot.pbx.sent == []


async def test_unknown_command_is_refused(bot: Conversation) -> None:
    assert "Unknown command" in await bot.text("1", "/rm -rf /")
    bot.now += 3600  # in a group, one such reply per person per hour
    assert "Unknown command" in await bot.text("1", "/call:from 1 2")
    assert (await bot.last_audit()).result == "denied: unknown"


async def test_start_names_the_role(bot: Conversation) -> None:
    assert "admin" in await bot.text("1", "/start")
    assert "no role" in await bot.text("9", "/start")


def _listed(reply: str) -> set[str]:
    return {line.split(" ")[0] for line in reply.splitlines()[1:]}


async def test_help_lists_only_permitted_commands(bot: Conversation) -> None:
    assert _listed(await bot.text("9", "/help")) == {"/start", "/help", "/settings"}
    assert "/pair" in _listed(await bot.text("9", "/help", private=True))
    await bot.grant("3", Role.VIEWER)
    viewer = {"/start", "/help", "/settings", "/who", "/calls", "/trunks", "/history", "/missed", "/report"}
    assert _listed(await bot.text("3", "/help")) == viewer
    await bot.grant("2", Role.OPERATOR)
    operator = _listed(await bot.text("2", "/help"))
    assert {"/call", "/hangup", "/transfer", "/listen", "/sipmsg"} <= operator
    assert not {"/bind", "/reboot", "/grant", "/bridge"} & operator
    assert "/call" not in _listed(await bot.text("2", "/help", chat="555"))  # unbound chat
    assert {"/bind", "/reboot", "/grant", "/audit", "/dial"} <= _listed(await bot.text("1", "/help"))


async def test_menu_has_every_command_in_both_languages(bot: Conversation) -> None:
    en, ru = dict(bot.service.menu("en")), dict(bot.service.menu("ru"))
    assert set(en) == set(ru) and {"call", "who", "pair", "dial"} <= set(en)
    assert en["call"] != ru["call"] and all(en.values()) and all(ru.values())


async def test_settings_view_is_open_and_change_switches_language(bot: Conversation) -> None:
    view = await bot.text("9", "/settings")
    assert "Language: en" in view and "Extensions: 201" in view and "missed, registration" in view
    assert (await bot.text("1", "/settings language ru")).startswith("Сохранено")
    assert "Не хватает" in await bot.text("1", "/call")  # replies now in Russian
    assert (await bot.store.get_chat(bot.command("1", "/x").chat)).language == "ru"  # type: ignore[union-attr]


async def test_settings_timezone_and_quiet_hours(bot: Conversation) -> None:
    assert "Europe/Berlin" in await bot.text("1", "/settings timezone Europe/Berlin")
    assert "time zone" in await bot.text("1", "/settings timezone Mars/Base")
    assert "time zone" in await bot.text("1", "/settings timezone ../../etc/passwd")
    assert "22:00-08:00" in await bot.text("1", "/settings quiet 22:00-08:00")
    chat = await bot.store.get_chat(bot.command("1", "/x").chat)
    assert chat is not None and (chat.timezone, chat.quiet_start, chat.quiet_end) == (
        "Europe/Berlin", "22:00", "08:00")
    assert "Quiet hours must" in await bot.text("1", "/settings quiet 25:00-08:00")
    assert "Quiet hours must" in await bot.text("1", "/settings quiet 2200")
    assert "Quiet hours: none" in await bot.text("1", "/settings quiet off")


async def test_subscribe_switches_alerts(bot: Conversation) -> None:
    reply = await bot.text("1", "/subscribe calls on")
    assert "missed, registration, calls" in reply
    await bot.text("1", "/subscribe missed off")
    await bot.text("1", "/subscribe all on")
    await bot.text("1", "/subscribe internal on")
    chat = await bot.store.get_chat(bot.command("1", "/x").chat)
    assert chat is not None
    assert (chat.alert_missed, chat.alert_calls, chat.alert_all_missed, chat.alert_internal) == (
        False, True, True, True)
    assert "not one of" in await bot.text("1", "/subscribe everything on")
    assert "on or off" in await bot.text("1", "/subscribe missed maybe")


@pytest.mark.parametrize(
    ("error", "reply", "result"),
    [
        (PbxCommandError("make_call", "CALL_REJECTED"), "PBX refused: CALL_REJECTED", "CALL_REJECTED"),
        (PbxTimeout("make_call"), "PBX did not answer in time", "timeout"),
        (PbxUnavailable("down"), "PBX link is down", "unavailable"),
        (InvalidArgument("args.bad_ext", value="x"), "“x” is not an extension", "invalid: args.bad_ext"),
        (RuntimeError("secret-key-123"), "Something went wrong", "error: RuntimeError"),
    ],
)
async def test_pbx_errors_become_replies_and_audit_results(
    bot: Conversation, error: Exception, reply: str, result: str
) -> None:
    bot.pbx.fail_next("make_call", error)
    text = await bot.text("1", "/call 79161234567")
    assert reply in text and "secret-key" not in text
    assert bot.pbx.names() == ["make_call"]
    entry = await bot.last_audit()
    assert entry.allowed and entry.result == result


async def test_audit_lists_recent_attempts(bot: Conversation) -> None:
    await bot.text("9", "/reboot 201")
    await bot.text("1", "/who")
    reply = await bot.text("1", "/audit 2")
    lines = reply.splitlines()
    assert len(lines) == 2
    assert "/who" in lines[0] and "→ ok" in lines[0]
    assert "✗" in lines[1] and "/reboot" in lines[1] and "denied" in lines[1]
    assert "Missing" in await bot.text("1", "/audit lots")
    total = len(await bot.store.recent_audit(1000))
    assert len((await bot.text("1", "/audit 500")).splitlines()) == total  # capped at 50, fewer exist


@pytest.mark.parametrize(
    "payload", ["'; DROP TABLE grants;--", "$(reboot)", "`id`", "<b>x</b>", "*bold* _it_ [a](b)", "a\x00b"]
)
async def test_metacharacters_are_plain_text(bot: Conversation, payload: str) -> None:
    text = await bot.text("1", f"/sipmsg 201 {payload}")
    assert "Message sent to 201" in text
    assert bot.pbx.sent[-1] == ("sip_message", {"num": "201", "text": payload.strip()})
    assert "not an extension" in await bot.text("1", f"/reboot {payload.split()[0]}")
    assert "not a phone number" in await bot.text("1", f"/call {payload}")
    assert "not a user id" in await bot.text("1", f"/grant {payload.split()[0]}! viewer")
    assert [n for n in bot.pbx.names() if n != "user_list"] == ["sip_message"]


async def test_store_failure_does_not_escape(bot: Conversation) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    bot.store.remember_person = broken  # type: ignore[method-assign]
    assert "Something went wrong" in await bot.text("1", "/who")
