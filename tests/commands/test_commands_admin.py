"""Admin conversations: bind/unbind, confirmations, grant/revoke, pairing, admins."""

from __future__ import annotations

import hashlib

import pytest

from bot.commands.pairing import create_pairing_code
from bot.domain import ChatRef, Role, SipUser, UserRef
from bot.errors import PbxUnavailable
from tests.fakes import Conversation

CHAT = ChatRef("telegram", "100")


@pytest.fixture
async def bot() -> Conversation:
    conv = Conversation()
    await conv.bind("201")
    return conv


async def test_bind_turns_on_default_alerts(bot: Conversation) -> None:
    bot.pbx.users = [SipUser("305")]  # the PBX knows 305
    assert "bound to 305" in await bot.text("1", "/bind 305", chat="200")
    chat = await bot.store.get_chat(ChatRef("telegram", "200"))
    assert chat is not None and chat.alert_missed and chat.alert_registration and not chat.alert_calls
    assert chat.title == "Test chat"
    assert await bot.store.extensions_of(ChatRef("telegram", "200")) == ["305"]
    assert "already bound" in await bot.text("1", "/bind 305", chat="200")
    assert "not an extension" in await bot.text("1", "/bind 1;DROP")
    assert bot.pbx.names() == ["user_list"]  # asked once whether 305 exists; nothing sent to a phone


async def test_bind_of_an_extension_the_pbx_does_not_know_asks_to_confirm(bot: Conversation) -> None:
    """``/bind 999`` (a typo?) is parked with Confirm/Cancel; Confirm binds, Cancel does not."""
    bot.pbx.users = [SipUser("201"), SipUser("305")]
    chat = ChatRef("telegram", "200")
    [ask] = await bot.say("1", "/bind 999", chat="200")
    assert "does not know extension 999" in ask.text and "anyway" in ask.text
    assert await bot.store.extensions_of(chat) == []
    cancel = ask.buttons[0][1]
    assert (await bot.press("1", cancel.action, cancel.arg, chat="200")).toast == "Cancelled."
    assert await bot.store.extensions_of(chat) == []
    [ask] = await bot.say("1", "/bind 999", chat="200")
    confirm = ask.buttons[0][0]
    reply = await bot.press("1", confirm.action, confirm.arg, chat="200")
    assert "bound to 999" in reply.toast and await bot.store.extensions_of(chat) == ["999"]
    assert "bound to 305" in await bot.text("1", "/bind 305", chat="200")  # known: no question


async def test_bind_asks_when_the_pbx_cannot_say(bot: Conversation) -> None:
    bot.pbx.fail_next("user_list", PbxUnavailable("link down"))
    [ask] = await bot.say("1", "/bind 305", chat="200")
    assert "Could not ask the PBX" in ask.text and ask.buttons
    assert await bot.store.extensions_of(ChatRef("telegram", "200")) == []


async def test_bind_question_is_in_the_chats_language() -> None:
    bot = Conversation(language="ru")
    [ask] = await bot.say("1", "/bind 999", chat="200")
    assert "АТС не знает номер 999" in ask.text and ask.buttons[0][0].label == "Подтвердить"


async def _confirm_prompt(bot: Conversation, user: str, line: str) -> str:
    [msg] = await bot.say(user, line)
    [[yes, no]] = msg.buttons
    assert (yes.action, no.action) == ("confirm", "cancel") and yes.arg == no.arg
    assert (await bot.last_audit()).result == "pending"
    return yes.arg


@pytest.mark.parametrize(
    ("line", "sent"),
    [
        ("/reboot 201 cisco", ("reboot_phone", {"num": "201", "model": "cisco"})),
        ("/reboot 201", ("reboot_phone", {"num": "201", "model": "yealink"})),
        ("/flushreg 201", ("flush_reg", {"num": "201"})),
    ],
)
async def test_destructive_pbx_commands_wait_for_confirmation(
    bot: Conversation, line: str, sent: tuple[str, dict[str, str]]
) -> None:
    token = await _confirm_prompt(bot, "1", line)
    assert bot.pbx.sent == []
    reply = await bot.press("1", "confirm", token)
    assert reply.edit is not None and reply.edit.text == "Confirmed."
    assert bot.pbx.sent == [sent]
    entry = await bot.last_audit()
    assert (entry.command, entry.allowed, entry.result) == (line.split()[0][1:], True, "ok")
    again = await bot.press("1", "confirm", token)  # single use
    assert "expired or was already used" in again.toast and len(bot.pbx.sent) == 1


async def test_wrong_user_or_chat_cannot_confirm(bot: Conversation) -> None:
    await bot.grant("7", Role.ADMIN, "*")
    token = await _confirm_prompt(bot, "1", "/flushreg 201")
    assert "Only the person who asked" in (await bot.press("7", "confirm", token)).toast
    assert "Only the person who asked" in (await bot.press("1", "confirm", token, chat="999")).toast
    assert bot.pbx.sent == []
    await bot.press("1", "confirm", token)  # the asker still can
    assert bot.pbx.names() == ["flush_reg"]


async def test_confirmation_expires_after_five_minutes(bot: Conversation) -> None:
    token = await _confirm_prompt(bot, "1", "/reboot 201")
    bot.now += 301
    assert "expired" in (await bot.press("1", "confirm", token)).toast
    assert bot.pbx.sent == []


async def test_cancel_and_revoked_rights_before_confirm(bot: Conversation) -> None:
    token = await _confirm_prompt(bot, "1", "/reboot 201")
    reply = await bot.press("1", "cancel", token)
    assert reply.toast == "Cancelled." and bot.pbx.sent == []
    assert "expired" in (await bot.press("1", "confirm", token)).toast
    await bot.grant("7", Role.ADMIN, "*")
    token = await _confirm_prompt(bot, "7", "/reboot 201")
    await bot.store.revoke("telegram", "7", None)
    assert "Not allowed" in (await bot.press("7", "confirm", token)).toast  # authorized again
    assert bot.pbx.sent == []


async def test_unbind_one_and_all_with_confirmation(bot: Conversation) -> None:
    await bot.bind("202")
    assert "not bound to 305" in await bot.text("1", "/unbind 305")
    token = await _confirm_prompt(bot, "1", "/unbind 202")
    assert await bot.store.extensions_of(CHAT) == ["201", "202"]
    assert "Unbound: 202" in (await bot.press("1", "confirm", token)).toast
    token = await _confirm_prompt(bot, "1", "/unbind")
    await bot.press("1", "confirm", token)
    assert await bot.store.extensions_of(CHAT) == []
    assert bot.pbx.sent == []


async def test_destructive_validation_happens_before_asking(bot: Conversation) -> None:
    assert "not one of" in await bot.text("1", "/reboot 201 polycom")
    assert "unknown to the PBX" in await bot.text("1", "/flushreg 999")
    assert bot.pbx.names() == ["user_list"]


async def test_grant_by_id_username_and_slack_mention(bot: Conversation) -> None:
    assert "5 is now operator in this chat" in await bot.text("1", "/grant 5 operator")
    assert await bot.store.roles_of("telegram", "5") == {"100": Role.OPERATOR}
    await bot.say(UserRef("telegram", "6", "Olga", "olga_k"), "/start")  # the bot sees @olga_k
    assert "@olga_k is now viewer" in await bot.text("1", "/grant @Olga_K viewer")
    assert await bot.store.roles_of("telegram", "6") == {"100": Role.VIEWER}
    assert "not seen @ghost" in await bot.text("1", "/grant @ghost viewer")
    assert "now admin everywhere" in await bot.text("1", "/grant <@U0ABC123|anna> admin")
    assert await bot.store.roles_of("telegram", "U0ABC123") == {"*": Role.ADMIN}
    assert "Unknown role" in await bot.text("1", "/grant 5 root")
    assert "operator" in await bot.text("5", "/start") and "/call" in await bot.text("5", "/help")


async def test_revoke(bot: Conversation) -> None:
    await bot.text("1", "/grant 5 operator")
    await bot.text("1", "/grant 5 admin")
    assert "Removed 2 grant(s)" in await bot.text("1", "/revoke 5")
    assert await bot.store.roles_of("telegram", "5") == {}
    assert "Not allowed" in await bot.text("5", "/who")
    assert "stays admin through BOT_ADMINS" in await bot.text("1", "/revoke 1")


async def test_admins_lists_config_and_grants(bot: Conversation) -> None:
    await bot.text("1", "/grant 5 operator")
    reply = await bot.text("1", "/admins")
    assert "telegram:1 admin (BOT_ADMINS)" in reply and "telegram:5" in reply and "operator" in reply


async def test_pairing_grants_global_admin_once(bot: Conversation) -> None:
    code = await create_pairing_code(bot.store, bot.now, ttl=60)
    assert len(code) == 8 and code.isalnum()
    assert "private chat" in await bot.text("8", "/pair AAAAAAAA")  # not in a group
    assert "Paired" in await bot.text("8", f"/pair {code.lower()}", private=True)
    assert await bot.store.roles_of("telegram", "8") == {"*": Role.ADMIN}
    assert "Wrong or expired" in await bot.text("9", f"/pair {code}", private=True)  # single use
    entry = await bot.last_audit()
    assert entry.args == "***" and code not in entry.args and entry.result == "invalid: wrong code"


async def test_pairing_code_expires_and_only_its_keyed_hash_is_stored(bot: Conversation) -> None:
    code = await create_pairing_code(bot.store, bot.now, ttl=60)
    stored = repr(bot.store.__dict__)
    assert code not in stored and hashlib.sha256(code.encode()).hexdigest() not in stored
    bot.now += 61
    assert "Wrong or expired" in await bot.text("8", f"/pair {code}", private=True)
    assert await bot.store.roles_of("telegram", "8") == {}


async def test_wrong_pairing_codes_are_rate_limited(bot: Conversation) -> None:
    code = await create_pairing_code(bot.store, bot.now)
    for _ in range(5):
        bot.now += 61  # past the per-minute limit for people without a role
        assert "Wrong" in await bot.text("8", "/pair AAAAAAAA", private=True)
    assert "Too many wrong codes" in await bot.text("8", f"/pair {code}", private=True)
    assert await bot.store.roles_of("telegram", "8") == {}
    assert "Paired" in await bot.text("4", f"/pair {code}", private=True)  # other users unaffected
    bot.now += 901
    assert "Wrong" in await bot.text("8", "/pair AAAAAAAA", private=True)


async def test_the_deep_link_start_pair_takes_the_pair_path(bot: Conversation) -> None:
    """``t.me/BOT?start=pair-CODE`` arrives as ``/start pair-CODE``: private chat only, once."""
    code = await create_pairing_code(bot.store, bot.now)
    assert "Paired" in await bot.text("8", f"/start pair-{code}", private=True)
    assert (await bot.store.roles_of("telegram", "8")) == {"*": Role.ADMIN}
    assert "Wrong or expired" in await bot.text("9", f"/start pair-{code}", private=True)  # once
    entry = await bot.last_audit()
    assert entry.command == "pair" and entry.args == "***" and code not in entry.result  # a secret
    burnt = await create_pairing_code(bot.store, bot.now)
    reply = await bot.text("7", f"/start pair-{burnt}")  # typed in a group: burnt, as /pair would be
    assert "burnt" in reply and not await bot.store.roles_of("telegram", "7")
    assert "Wrong or expired" in await bot.text("7", f"/start pair-{burnt}", private=True)
    assert "Wrong" in await bot.text("6", "/start pair-AAAAAAAA", private=True)  # throttled like /pair
    assert "onlinePBX" in await bot.text("6", "/start", private=True)  # a plain /start stays /start


async def test_start_in_a_private_chat_shows_your_id_and_how_to_become_admin(bot: Conversation) -> None:
    text = await bot.text("5150", "/start", private=True)
    assert "Your id: 5150 (for BOT_ADMINS: telegram:5150)." in text
    assert "onpbx-bot admin code" in text and "/pair CODE" in text and "BOT_ADMINS" in text
    group = await bot.text("5150", "/start")  # a group hears nobody's id
    assert "5150" not in group and "no role here" in group
    admin = await bot.text("1", "/start", private=True)
    assert "Your id: 1" in admin and "admin code" not in admin  # an admin needs no how-to
    ru = Conversation(language="ru")
    assert "Ваш id: 5150 (для BOT_ADMINS: telegram:5150)." in await ru.text("5150", "/start", private=True)
