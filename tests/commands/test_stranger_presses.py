"""Issue 19 §3: people without a role share one quota for commands and button presses; a refused
press is answered as a button notice (toast), never a chat message; repeated refusals write one
audit line a minute; and a throttled stranger leaves no chat or person row behind."""

from __future__ import annotations

from bot.domain import ChatRef, Role
from tests.fakes import Conversation


async def test_presses_share_the_strangers_quota() -> None:
    bot = Conversation()
    for _ in range(2):
        await bot.say("9", "/who")
    first = await bot.press("9", "call", "79161234567")
    assert "operator" in first.toast and first.messages == ()  # the refusal, as a notice on the button
    silenced = [await bot.press("9", "call", "79161234567") for _ in range(5)]
    assert all(r.toast == "" and r.messages == () for r in silenced)  # over the quota: nothing
    assert await bot.say("9", "/who") == []  # and the typed commands share it
    bot.now += 61
    assert (await bot.press("9", "call", "79161234567")).toast


async def test_a_refused_press_is_a_notice_not_a_chat_message() -> None:
    bot = Conversation()
    await bot.grant("4", Role.VIEWER)
    for action, arg in (("call", "79161234567"), ("hangup", "aaaaaaaa-0000-4000-8000-000000000001"),
                        ("done", "c1")):
        reply = await bot.press("4", action, arg)
        assert "operator" in reply.toast and reply.messages == () and reply.edit is None
    assert bot.pbx.sent == []


async def test_repeated_refusals_write_one_audit_line_a_minute() -> None:
    bot = Conversation()
    await bot.grant("4", Role.VIEWER)
    for _ in range(90):
        await bot.press("4", "call", "79161234567")
    audit = await bot.store.recent_audit(100)
    assert [(e.command, e.allowed) for e in audit] == [("call", False)]
    bot.now += 61
    await bot.press("4", "call", "79161234567")
    assert len(await bot.store.recent_audit(100)) == 2


async def test_throttled_strangers_leave_no_chat_or_person_rows() -> None:
    bot = Conversation()
    for group in range(500):
        await bot.say("9", "/help", chat=f"-{group + 1000}")
        await bot.press("9", "call", "79161234567", chat=f"-{group + 5000}")
    chats = await bot.store.list_chats()
    assert len(chats) <= 3, len(chats)  # the minute's quota, not 1000 rows
    assert await bot.store.find_person("telegram", "9") is not None  # the first one is remembered
    assert await bot.store.get_chat(ChatRef("telegram", "-1499")) is None
