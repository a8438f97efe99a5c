"""/missed and the Done button through the real CommandService (policy, audit, follow-ups)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.alerts import FollowUps
from bot.commands import CommandService
from bot.domain import CallRecord, ChatRef, MissedCall, Role
from tests.fakes import Conversation

NOW = 1_700_049_600.0  # 2023-11-15 12:00 UTC
CHAT = ChatRef("telegram", "100")


def rec(call_id: str, minutes_ago: float, ext: str = "201", **kw: object) -> CallRecord:
    start = int((NOW - minutes_ago * 60) * 1000)
    base = CallRecord(call_id, start, "in", "79161234567", "500", "+79161234567", (ext,), verdict="missed")
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def bot() -> Conversation:
    conv = Conversation()
    conv.now = NOW
    conv.service = CommandService(store=conv.store, pbx=conv.pbx, calls=conv.calls, presence=conv.presence,
                                  settings=conv.settings, clock=lambda: conv.now,
                                  followups=FollowUps(conv.store))  # fmt: skip
    await conv.bind("201")
    settings = await conv.store.get_chat(CHAT)
    assert settings is not None
    await conv.store.update_chat(dataclasses.replace(settings, timezone="UTC"))
    for r in (rec("old", 60 * 30), rec("m1", 90), rec("m2", 10), rec("other", 5, ext="305"),
              rec("done", 20, resolution="callback"), rec("ok", 3, verdict="answered")):
        await conv.store.record_call(r)
    return conv


async def test_missed_lists_unresolved_calls_of_this_chat_newest_first(bot: Conversation) -> None:
    await bot.grant("3", Role.VIEWER)
    [msg] = await bot.say("3", "/missed")
    lines = msg.text.splitlines()
    assert lines[0].startswith("Unresolved missed calls (") and lines[0].endswith(": 2")
    assert lines[1:] == ["15.11 11:50 +7 916 123-45-67 → 201", "15.11 10:30 +7 916 123-45-67 → 201"]
    assert [[(b.action, b.arg) for b in row] for row in msg.buttons] == [
        [("call", "79161234567"), ("done", "m2")], [("call", "79161234567"), ("done", "m1")]]
    week = (await bot.say("3", "/missed week"))[0]
    assert week.text.splitlines()[0].endswith(": 3")  # the call of 30 h ago too
    assert "No unresolved" in (await bot.say("1", "/missed today", chat="555"))[0].text  # not bound there
    assert "Not allowed" in await bot.text("9", "/missed")
    assert "today, 24h, week" in await bot.text("3", "/missed month")


async def test_done_needs_an_operator_is_audited_and_edits_the_alert(bot: Conversation) -> None:
    alert = MissedCall("m2", "79161234567", "", ("201",), "500", "", rec("m2", 10).start_ms, 0, "NO_ANSWER")
    await bot.store.enqueue(f"missed:m2:{CHAT}", CHAT, alert, NOW)
    await bot.grant("3", Role.VIEWER)
    refused = await bot.press("3", "done", "m2")
    assert refused.toast.startswith("Not allowed")
    await bot.grant("2", Role.OPERATOR)
    reply = await bot.press("2", "done", "m2")
    assert reply.toast == "Marked done."
    entry = await bot.last_audit()
    got = (entry.user_id, entry.command, entry.args, entry.allowed, entry.result)
    assert got == ("2", "done", "m2", True, "ok")
    [pending] = await bot.store.missed_alerts("m2")
    assert isinstance(pending.alert, MissedCall)
    assert (pending.alert.resolution, pending.alert.resolved_by, pending.alert.resolved_ms) == (
        "done", "User 2", int(NOW * 1000))
    assert (await bot.press("2", "done", "m2")).toast == "Already resolved."
    assert [r.call_id for r in await bot.store.calls_between(0, 2**62) if r.missed and not r.resolution] == [
        "old", "m1", "other"]
    assert "m2" not in (await bot.say("2", "/missed"))[0].text


def test_done_button_round_trips_through_telegram_callback_data() -> None:
    from adapters.telegram.callback_data import decode, encode

    uuid = "4f0b1a2c-1d2e-4f5a-9b8c-0123456789ab"
    assert decode(encode("done", uuid)) == ("done", uuid)
