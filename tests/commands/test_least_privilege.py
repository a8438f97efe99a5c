"""Least privilege through the real command path: /sipmsg scope, the last admin, pairing codes,
dial policy for short numbers, forwarded and anonymous senders, strangers' rate limits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.commands import create_pairing_code
from bot.domain import ChatRef, Role, SipUser
from tests.fakes import Conversation, active_call

U1 = "aaaaaaaa-0000-4000-8000-000000000001"


@pytest.fixture
async def bot() -> Conversation:
    conv = Conversation()
    await conv.bind("201")
    await conv.grant("2", Role.OPERATOR)
    conv.presence.set("201")
    conv.presence.set("305")
    return conv


async def test_sipmsg_operator_only_to_this_chats_phones(bot: Conversation) -> None:
    reply = await bot.text("2", "/sipmsg 305 Your account is blocked, call +7 999")
    assert "another phone needs an admin" in reply
    assert bot.pbx.sent == []
    entry = await bot.last_audit()
    assert entry.result == "refused: sipmsg.not_yours" and not entry.allowed  # a scope check: ✗
    assert "Message sent to 201" in await bot.text("2", "/sipmsg 201 lunch is ready")
    assert "Message sent to 305" in await bot.text("1", "/sipmsg 305 from the admin")
    assert [f["num"] for _, f in bot.pbx.sent if _ == "sip_message"] == ["201", "305"]


async def test_last_admin_cannot_remove_themselves() -> None:
    bot = Conversation(admins="")
    await bot.grant("7", Role.ADMIN, "*")
    reply = await bot.text("7", "/revoke 7")
    assert "last admin" in reply and "grant another admin first" in reply
    assert await bot.store.roles_of("telegram", "7") == {"*": Role.ADMIN}
    await bot.grant("8", Role.ADMIN, "*")
    assert "Removed 1 grant" in await bot.text("7", "/revoke 7")
    assert "last admin" in await bot.text("8", "/revoke 8")


async def test_config_admins_make_self_revoke_safe() -> None:
    bot = Conversation(admins="telegram:1")
    await bot.grant("7", Role.ADMIN, "*")
    assert "Removed 1 grant" in await bot.text("7", "/revoke 7")


def dialled(bot: Conversation) -> list[str]:
    return [f["to"] for name, f in bot.pbx.sent if name in ("make_call", "transfer")]


@pytest.mark.parametrize("number", ["112", "0911", "01", "90901"])
async def test_short_numbers_the_pbx_does_not_know_are_refused(bot: Conversation, number: str) -> None:
    reply = await bot.text("2", f"/call {number}")
    assert f"{number} is not an extension of this PBX" in reply and f"/dial allow {number}" in reply
    assert dialled(bot) == []
    assert (await bot.last_audit()).result == "refused: dial.short"


async def test_roster_counts_without_user_list_and_with_it(bot: Conversation) -> None:
    assert "Calling 305" in await bot.text("2", "/call 305")  # seen by presence
    bot.pbx.capabilities = bot.pbx.capabilities - {"user_list"}  # e.g. an HTTP-only source
    assert "not an extension" in await bot.text("2", "/call 306")
    assert "user_list" not in bot.pbx.names()
    bot.pbx.capabilities = bot.pbx.capabilities | {"user_list"}
    bot.pbx.users = [SipUser("306")]
    assert "Calling 306" in await bot.text("2", "/call 306")  # in the PBX's user list
    assert dialled(bot) == ["305", "306"]


async def test_admin_allow_list_for_short_numbers(bot: Conversation) -> None:
    assert "admin" in await bot.text("2", "/dial allow 112")
    assert "Short numbers allowed besides extensions: 112" in await bot.text("1", "/dial allow 112")
    assert "besides extensions: 0911, 112." in await bot.text("1", "/dial allow 0911")
    assert "Calling 112" in await bot.text("2", "/call 112")
    assert "besides extensions: 0911." in await bot.text("1", "/dial deny 112")
    assert "not an extension" in await bot.text("2", "/call 112")
    assert "not a short number" in await bot.text("1", "/dial allow １１２")
    assert "not a short number" in await bot.text("1", "/dial allow 1234567")
    assert dialled(bot) == ["112"]


@pytest.mark.parametrize(
    "line",
    [
        "/call １１２", "/call ３０５", "/call +７ ９１６ １２３-４５-６７", "/call ٢٠١",
        "/call +٧٩١٦١٢٣٤٥٦٧",
        "/call 79161234567 from ２０１", "/transfer ３０５", "/sipmsg ２０１ hi", "/bind ２０２",
    ],
)  # fmt: skip
async def test_only_ascii_digits_reach_the_pbx(bot: Conversation, line: str) -> None:
    bot.calls.calls = [active_call(U1)]
    reply = await bot.text("1", line)
    assert "not" in reply, reply
    assert [n for n in bot.pbx.names() if n != "user_list"] == []
    assert await bot.store.extensions_of(ChatRef("telegram", "100")) == ["201"]


@pytest.mark.parametrize("spoofed", ["112", "0911", "01"])
async def test_call_back_button_on_a_spoofed_caller_id_is_refused(bot: Conversation, spoofed: str) -> None:
    reply = await bot.press("2", "call", spoofed)
    assert "not an extension of this PBX" in reply.toast
    assert dialled(bot) == []
    assert "Calling" in (await bot.press("2", "call", "79161234567")).toast


async def test_pairing_code_seen_in_a_group_is_burnt(bot: Conversation) -> None:
    code = await create_pairing_code(bot.store, bot.now)
    reply = await bot.text("8", f"/pair {code[:4]}-{code[4:]}")  # in group chat 100
    assert "burnt" in reply and "private chat" in reply
    entry = await bot.last_audit()
    assert entry.args == "***" and not entry.allowed and "burnt" in entry.result
    assert "Wrong or expired" in await bot.text("8", f"/pair {code}", private=True)
    assert await bot.store.roles_of("telegram", "8") == {}
    assert "burnt" not in await bot.text("8", "/pair BBBBBBBB")  # a wrong code burns nothing
    bot.now += 60  # user 8 has no role yet: a few commands a minute
    fresh = await create_pairing_code(bot.store, bot.now)
    assert "Paired" in await bot.text("8", f"/pair {fresh}", private=True)


async def test_forwarded_commands_never_run(bot: Conversation) -> None:
    cmd = replace(bot.command("1", "/grant 666 admin"), forwarded=True)  # an admin forwards it
    [reply] = await bot.service.handle_command(cmd)
    assert "ignore forwarded commands" in reply.text
    assert await bot.store.roles_of("telegram", "666") == {}
    assert (await bot.last_audit()).result == "denied: forwarded"


@pytest.mark.parametrize("user_id", ["1087968824", "136817688", "777000", "-1001234567890"])
async def test_anonymous_senders_get_no_command_and_no_role(bot: Conversation, user_id: str) -> None:
    await bot.grant(user_id, Role.ADMIN, "*")  # even a grant from before does not help
    reply = await bot.text(user_id, "/grant 666 admin")
    assert "need a personal account" in reply
    assert await bot.store.roles_of("telegram", "666") == {}
    await bot.store.revoke("telegram", user_id, None)
    assert "not a personal account" in await bot.text("1", f"/grant {user_id} operator")
    assert await bot.store.roles_of("telegram", user_id) == {}
    flagged = replace(bot.command("5", "/help"), anonymous=True)
    assert "need a personal account" in (await bot.service.handle_command(flagged))[0].text


async def test_strangers_get_a_few_replies_a_minute_then_silence(bot: Conversation) -> None:
    replies = [await bot.say("9", "/who") for _ in range(6)]
    assert [len(r) for r in replies] == [1, 1, 1, 0, 0, 0]
    assert "needs the viewer role" in replies[0][0].text
    assert len(await bot.store.recent_audit(50)) == 3  # silence is not audited either
    assert len(await bot.say("8", "/who")) == 1  # another person has their own budget
    assert len(await bot.say("2", "/calls")) == 1  # people with a role are not limited
    bot.now += 60
    assert len(await bot.say("9", "/who")) == 1


async def test_unknown_commands_in_groups_get_one_reply_an_hour(bot: Conversation) -> None:
    assert "Unknown command" in await bot.text("2", "/foo")
    assert await bot.say("2", "/bar") == [] and await bot.say("2", "/baz") == []
    assert "Unknown command" in await bot.text("2", "/bar", private=True)  # private chats: always
    assert "Unknown command" in await bot.text("1", "/foo")  # per person
    bot.now += 3600
    assert "Unknown command" in await bot.text("2", "/foo")
