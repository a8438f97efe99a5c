"""Least privilege through the real command path: /sipmsg scope, the last admin, pairing codes,
dial policy for short numbers, forwarded and anonymous senders, strangers' rate limits."""

from __future__ import annotations

import pytest

from bot.domain import Role
from tests.fakes import Conversation


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
    assert (await bot.last_audit()).result == "invalid: sipmsg.not_yours"
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
