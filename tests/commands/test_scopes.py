"""Issue 19 §3, scopes: Done and /done act only on calls this chat was alerted about or that rang
its extensions (admins anywhere); a command's own scope check is audited as refused (✗); an
unbound chat's viewers see no PBX-wide numbers (/report covers the whole PBX only for a chat that
gets every missed call, or for admins), and /unbind never widens what a viewer sees."""

from __future__ import annotations

import dataclasses

import pytest

from bot.alerts import FollowUps
from bot.commands import CommandService
from bot.domain import ActiveCall, CallRecord, ChatRef, MissedCall, Role
from tests.fakes import Conversation

NOW = 1_700_049_600.0
OURS, THEIRS = ChatRef("telegram", "100"), ChatRef("telegram", "200")
U1 = "aaaaaaaa-0000-4000-8000-000000000001"


def _record(call_id: str, ext: str) -> CallRecord:
    start = int((NOW - 600) * 1000)
    return CallRecord(call_id, start, "in", "79161234567", "500", "+79161234567", (ext,), verdict="missed")


@pytest.fixture
async def bot() -> Conversation:
    conv = Conversation()
    conv.now = NOW
    conv.service = CommandService(store=conv.store, pbx=conv.pbx, calls=conv.calls, presence=conv.presence,
                                  settings=conv.settings, clock=lambda: conv.now,
                                  followups=FollowUps(conv.store))  # fmt: skip
    await conv.bind("201", chat="100")
    await conv.bind("305", chat="200")
    for chat in ("100", "200"):
        await conv.grant("2", Role.OPERATOR, chat)
        await conv.grant("3", Role.VIEWER, chat)
    calls = (("ours", "201", OURS), ("theirs", "305", THEIRS), ("rang-ours", "201", THEIRS))
    for call_id, ext, chat in calls:
        rec = _record(call_id, ext)
        await conv.store.record_call(rec)
        alert = MissedCall(call_id, rec.caller, "", (ext,), "500", "", rec.start_ms, rec.start_ms, "")
        await conv.store.enqueue(f"missed:{call_id}:{chat}", chat, alert, NOW)
    return conv


async def test_done_only_on_this_chats_calls(bot: Conversation) -> None:
    refused = await bot.press("2", "done", "theirs")  # alerted in another chat, rang 305
    assert "not one of this chat's" in refused.toast and refused.messages == ()
    entry = await bot.last_audit()
    assert (entry.command, entry.allowed, entry.result) == ("done", False, "refused: done.not_here")
    assert "not one of this chat's" in await bot.text("2", "/done theirs")
    [theirs] = await bot.store.missed_alerts("theirs")
    assert isinstance(theirs.alert, MissedCall) and theirs.alert.resolution == ""
    assert (await bot.press("2", "done", "ours")).toast == "Marked done."
    assert (await bot.press("2", "done", "rang-ours")).toast == "Marked done."  # alerted elsewhere, rang 201
    assert (await bot.press("2", "done", "theirs", chat="200")).toast == "Marked done."


async def test_an_admin_closes_any_call_anywhere(bot: Conversation) -> None:
    assert (await bot.press("1", "done", "theirs", chat="555")).toast == "Marked done."


async def test_scope_refusals_are_audited_as_refused(bot: Conversation) -> None:
    bot.calls.calls.append(ActiveCall(U1, (U1,), "in", "79161234567", "305", ("305",), "ringing", 0))
    reply = await bot.text("2", f"/hangup {U1}")  # ringing 305: the other chat's call
    assert bot.pbx.sent == [] and reply
    entry = await bot.last_audit()
    assert (entry.command, entry.allowed, entry.result) == ("hangup", False, "refused: calls.not_found")
    audit = await bot.text("1", "/audit 2")
    assert "✗" in audit.splitlines()[-1] and "/hangup" in audit.splitlines()[-1]


async def _unbound_chat(bot: Conversation, chat: str = "300") -> None:
    await bot.store.ensure_chat(ChatRef("telegram", chat), title="", language="en", timezone="UTC")
    await bot.grant("3", Role.VIEWER, chat)


async def test_an_unbound_chats_viewers_get_no_pbx_wide_report(bot: Conversation) -> None:
    await _unbound_chat(bot)
    reply = await bot.text("3", "/report today", chat="300")
    assert "has no extensions" in reply and "Inbound" not in reply
    assert (await bot.last_audit()).result == "refused: report.unbound"
    assert "Inbound" in await bot.text("1", "/report today", chat="300")  # an admin: the whole PBX
    settings = await bot.store.get_chat(ChatRef("telegram", "300"))
    assert settings is not None
    await bot.store.update_chat(dataclasses.replace(settings, alert_all_missed=True))
    assert "Inbound" in await bot.text("3", "/report today", chat="300")  # /subscribe all on


async def test_unbind_never_widens_what_a_viewer_sees(bot: Conversation) -> None:
    assert "Inbound" in await bot.text("3", "/report today", chat="100")  # its extension's calls
    await bot.store.unbind(OURS, None)
    assert "has no extensions" in await bot.text("3", "/report today", chat="100")
