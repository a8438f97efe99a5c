"""PBX housekeeping conversations: /who, /trunks, /reloadgw, /sipmsg, /broadcast, languages."""

from __future__ import annotations

import pytest

from bot.domain import ChatRef, Role, SipUser, Trunk
from bot.errors import PbxTimeout
from tests.fakes import Conversation


@pytest.fixture
async def bot() -> Conversation:
    conv = Conversation()
    await conv.bind("201")
    await conv.grant("2", Role.OPERATOR)
    await conv.grant("3", Role.VIEWER)
    return conv


async def test_who_merges_user_list_and_presence(bot: Conversation) -> None:
    bot.pbx.users = [SipUser("201", name="Anna", agent="Yealink T46", ip="10.0.0.5")]
    bot.presence.set("201", online=True, blf="answered")
    bot.presence.set("202", online=False, blf="unregistered", name="Boris")
    [msg] = await bot.say("3", "/who")
    lines = msg.text.splitlines()
    assert lines[0] == "Extensions:"
    assert lines[1] == "201 online · Anna · on a call · Yealink T46 · 10.0.0.5"
    assert lines[2] == "202 offline · Boris · unregistered"
    assert any(s.style == "code" and s.text == "201" for s in msg.spans)
    assert bot.pbx.names() == ["user_list"]


async def test_who_translates_blf_states_in_russian() -> None:
    conv = Conversation(language="ru")
    await conv.bind("201")
    await conv.grant("3", Role.VIEWER)
    for ext, blf in (("201", "ringing"), ("202", "answered"), ("203", "hangup"),
                     ("204", "unregistered"), ("205", "parked")):
        conv.presence.set(ext, online=True, blf=blf)
    lines = (await conv.text("3", "/who")).splitlines()
    assert lines[1:] == ["201 в сети · звонит", "202 в сети · разговаривает", "203 в сети · свободен",
                         "204 в сети · не зарегистрирован", "205 в сети · parked"]


async def test_who_translates_blf_states_in_english(bot: Conversation) -> None:
    bot.presence.set("201", online=True, blf="ringing")
    bot.presence.set("202", online=True, blf="hangup")
    assert (await bot.text("3", "/who")).splitlines()[1:] == ["201 online · ringing", "202 online · idle"]


async def test_who_with_nothing_known(bot: Conversation) -> None:
    assert "No extensions known" in await bot.text("3", "/who")


async def test_trunks(bot: Conversation) -> None:
    assert "No trunks" in await bot.text("3", "/trunks")
    bot.pbx.trunks = [Trunk("74951112233", desc="Main", dest="500", status="REGED")]
    assert "74951112233 REGED · Main · 500" in await bot.text("3", "/trunks")


async def test_reloadgw_is_admin_only_and_validated(bot: Conversation) -> None:
    assert "admin" in await bot.text("2", "/reloadgw 74951112233")
    assert "not a trunk number" in await bot.text("1", "/reloadgw gw1")
    assert bot.pbx.sent == []
    assert "re-registers" in await bot.text("1", "/reloadgw 74951112233")
    assert bot.pbx.sent == [("reloadgw", {"num": "74951112233"})]


async def test_sipmsg_keeps_spacing_and_limits_length(bot: Conversation) -> None:
    assert "sent to 201" in await bot.text("2", "/sipmsg 201 Call  me back, please")
    assert bot.pbx.sent == [("sip_message", {"num": "201", "text": "Call  me back, please"})]
    assert "at most 200" in await bot.text("2", "/sipmsg 201 " + "x" * 201)
    assert "Missing argument" in await bot.text("2", "/sipmsg 201")
    bot.presence.set("202")
    await bot.text("1", "/sipmsg 202 " + "я" * 200)  # another phone than the chat's: an admin
    assert bot.pbx.sent[-1] == ("sip_message", {"num": "202", "text": "я" * 200})
    assert "unknown to the PBX" in await bot.text("1", "/sipmsg 777 hi")
    assert bot.pbx.names() == ["sip_message", "sip_message", "user_list"]


async def test_broadcast(bot: Conversation) -> None:
    assert "admin" in await bot.text("2", "/broadcast hi all")
    assert "Missing" in await bot.text("1", "/broadcast")
    assert "Broadcast sent" in await bot.text("1", "/broadcast Meeting at  5")
    assert bot.pbx.sent == [("message", {"data": "Meeting at  5", "target": "domain"})]


async def test_reboot_of_a_phone_seen_only_by_user_list(bot: Conversation) -> None:
    bot.pbx.users = [SipUser("305")]
    [msg] = await bot.say("1", "/reboot 305")
    assert "Reboot the phone of 305" in msg.text
    await bot.press("1", "confirm", msg.buttons[0][0].arg)
    assert bot.pbx.names() == ["user_list", "reboot_phone"]


async def test_russian_replies_by_default_language() -> None:
    conv = Conversation(language="ru")
    await conv.bind("201")
    assert "Нет прав" in await conv.text("9", "/who")
    conv.pbx.fail_next("user_list", PbxTimeout("user_list"))
    assert "АТС не ответила" in await conv.text("1", "/who")
    [msg] = await conv.say("1", "/flushreg 201")
    assert [b.label for b in msg.buttons[0]] == ["Подтвердить", "Отмена"]
    bad = await conv.press("7", "confirm", msg.buttons[0][0].arg)
    assert "Подтвердить может только" in bad.toast


async def test_migration_keeps_bindings(bot: Conversation) -> None:
    old, new = ChatRef("telegram", "100"), ChatRef("telegram", "-100200")
    await bot.service.handle_migration(old, new)
    assert await bot.store.extensions_of(new) == ["201"]
    bot.presence.set("202")  # a short number is dialled only when the PBX knows it
    assert "Calling" in await bot.text("2", "/call 202", chat="-100200")
