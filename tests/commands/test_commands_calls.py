"""Call control conversations: /call, /hangup, /calls, /transfer, /bridge, /listen, buttons."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.slack.blocks import VALUE_RE
from adapters.telegram.callback_data import encode
from bot.domain import Role
from tests.fakes import Conversation, active_call

U1 = "aaaaaaaa-0000-4000-8000-000000000001"
U2 = "aaaaaaaa-0000-4000-8000-000000000002"
U3 = "aaaaaaaa-0000-4000-8000-000000000003"


@pytest.fixture
async def bot() -> Conversation:
    conv = Conversation(per_minute=3)
    await conv.bind("201")
    await conv.grant("2", Role.OPERATOR)
    conv.presence.set("202")  # the PBX knows 202: short numbers it does not know are refused
    return conv


async def test_operator_calls_from_the_bound_extension(bot: Conversation) -> None:
    reply = await bot.text("2", "/call +7 (916) 123-45-67")
    assert "Calling 79161234567 from 201" in reply
    assert bot.pbx.sent == [("make_call", {"from": "201", "to": "79161234567"})]
    assert (await bot.last_audit()).result == "ok"


async def test_call_an_extension(bot: Conversation) -> None:
    await bot.text("2", "/call 202")
    assert bot.pbx.sent == [("make_call", {"from": "201", "to": "202"})]


async def test_from_ext_is_for_admins_unless_bound_here(bot: Conversation) -> None:
    bot.presence.set("305")
    assert "admin" in await bot.text("2", "/call 79161234567 from 305")
    assert bot.pbx.sent == []
    assert (await bot.last_audit()).result == "denied: need_role"
    await bot.text("1", "/call 79161234567 from 305")
    assert bot.pbx.sent == [("make_call", {"from": "305", "to": "79161234567"})]
    await bot.text("2", "/call 79161234567 from 201")  # its own extension: fine
    assert bot.pbx.sent[-1] == ("make_call", {"from": "201", "to": "79161234567"})


async def test_from_unknown_extension_is_checked_against_user_list(bot: Conversation) -> None:
    assert "unknown to the PBX" in await bot.text("1", "/call 79161234567 from 999")
    assert bot.pbx.names() == ["user_list"]


async def test_several_bound_extensions_refuse_a_forbidden_number_before_asking(bot: Conversation) -> None:
    await bot.bind("202")
    [msg] = await bot.say("2", "/call +44 20 7946 0958")
    assert "Calls abroad are disabled" in msg.text and not msg.buttons
    [msg] = await bot.say("2", "/call 12ab")
    assert "not a phone number" in msg.text and not msg.buttons
    assert bot.pbx.sent == []
    await bot.text("1", "/dial international on")
    [msg] = await bot.say("2", "/call +44 20 7946 0958")
    assert "Which one" in msg.text and len(msg.buttons) == 2 and bot.pbx.sent == []


async def test_several_bound_extensions_ask_which(bot: Conversation) -> None:
    await bot.bind("202")
    [msg] = await bot.say("2", "/call 89161234567")
    assert "Which one" in msg.text and bot.pbx.sent == []
    buttons = [row[0] for row in msg.buttons]
    assert [(b.label, b.action, b.arg) for b in buttons] == [
        ("201", "call", "+79161234567@201"), ("202", "call", "+79161234567@202")]
    assert [encode(b.action, b.arg) for b in buttons] == ["c:+79161234567@201", "c:+79161234567@202"]
    assert all(VALUE_RE.fullmatch(b.arg) for b in buttons)  # Slack's button value
    reply = await bot.press("2", "call", buttons[1].arg)
    assert "from 202" in reply.toast
    assert bot.pbx.sent == [("make_call", {"from": "202", "to": "79161234567"})]


async def test_dial_policy_through_the_command(bot: Conversation) -> None:
    assert "abroad are disabled" in await bot.text("2", "/call +12025550123")
    assert "Premium-rate" in await bot.text("2", "/call 88091234567")
    assert bot.pbx.sent == []
    assert (await bot.last_audit()).result == "refused: dial.premium"
    assert "Premium-rate numbers: refused" in await bot.text("1", "/dial")
    assert "International calls: allowed" in await bot.text("1", "/dial international on")
    await bot.text("1", "/dial premium on")
    await bot.text("2", "/call +12025550123")
    await bot.text("2", "/call 88091234567")
    assert [f["to"] for _, f in bot.pbx.sent] == ["12025550123", "78091234567"]
    await bot.text("1", "/dial international off")
    assert "abroad are disabled" in await bot.text("2", "/call +12025550123")
    assert "on or off" in await bot.text("1", "/dial premium perhaps")
    assert "not one of" in await bot.text("1", "/dial domestic on")


async def test_rate_limit_per_user(bot: Conversation) -> None:
    for _ in range(3):
        assert "Calling" in await bot.text("2", "/call 202")
    assert "Too many calls" in await bot.text("2", "/call 202")
    assert (await bot.last_audit()).result == "refused: dial.rate"
    assert "Calling" in await bot.text("1", "/call 202")  # another user
    bot.now += 61
    assert "Calling" in await bot.text("2", "/call 202")
    assert bot.pbx.names().count("make_call") == 5


async def test_call_button_is_authorized_and_validated_like_the_command(bot: Conversation) -> None:
    assert "Not allowed" in (await bot.press("9", "call", "79161234567")).toast
    assert "abroad" in (await bot.press("2", "call", "+12025550123")).toast
    assert bot.pbx.sent == []
    reply = await bot.press("2", "call", "79161234567")
    assert "Calling" in reply.toast and reply.messages
    assert bot.pbx.sent == [("make_call", {"from": "201", "to": "79161234567"})]
    assert (await bot.last_audit()).command == "call"


async def test_hangup_without_uuid(bot: Conversation) -> None:
    assert "No active calls" in await bot.text("2", "/hangup")
    bot.calls.calls = [active_call(U1, extensions=("201",)), active_call(U2, extensions=("305",))]
    assert "Hung up" in await bot.text("2", "/hangup")
    assert bot.pbx.sent == [("hangup_call", {"uuid": U1})]


async def test_hangup_with_several_calls_lists_them(bot: Conversation) -> None:
    bot.calls.calls = [active_call(U1), active_call(U2, caller="74951234567")]
    [msg] = await bot.say("2", "/hangup")
    assert "Several calls" in msg.text and bot.pbx.sent == []
    assert [row[0].arg for row in msg.buttons] == [U1, U2]
    reply = await bot.press("2", "hangup", U2)
    assert "Hung up" in reply.toast
    assert bot.pbx.sent == [("hangup_call", {"uuid": U2})]


async def test_hangup_with_uuid_only_for_own_calls_unless_admin(bot: Conversation) -> None:
    bot.calls.calls = [active_call(U1, extensions=("201",)), active_call(U2, extensions=("305",))]
    assert "No such active call" in await bot.text("2", f"/hangup {U2}")
    assert "not a call id" in await bot.text("2", "/hangup 12345")
    assert bot.pbx.sent == []
    await bot.text("2", f"/hangup {U1.upper()}")
    await bot.text("1", f"/hangup {U3}")  # admins may hang up any uuid
    assert bot.pbx.sent == [("hangup_call", {"uuid": U1}), ("hangup_call", {"uuid": U3})]
    assert "Not allowed" in (await bot.press("9", "hangup", U1)).toast
    assert len(bot.pbx.sent) == 2


async def test_calls_lists_bound_calls_with_hangup_buttons(bot: Conversation) -> None:
    await bot.grant("3", Role.VIEWER, "*")
    assert "No active calls" in await bot.text("3", "/calls")
    bot.calls.calls = [active_call(U1, extensions=("201",)), active_call(U2, extensions=("305",))]
    out = await bot.say("3", "/calls")
    assert len(out) == 2 and "201 ← 79161234567 (talking)" in out[1].text
    assert out[1].buttons[0][0].action == "hangup" and out[1].buttons[0][0].arg == U1
    assert out[1].buttons[0][0].label == "Hang up"
    assert "No active calls" in await bot.text("3", "/calls", chat="555")
    assert len(await bot.say("1", "/calls", chat="555")) == 3  # admin, unbound chat: every call
    assert bot.pbx.sent == []


async def test_calls_shows_a_held_call_in_english_and_russian(bot: Conversation) -> None:
    bot.calls.calls = [replace(active_call(U1), on_hold=True), active_call(U2, caller="74951234567")]
    out = await bot.say("2", "/calls")
    assert out[1].text == "201 ← 79161234567 (talking) ⏸ on hold"
    assert "on hold" not in out[2].text and out[2].text.endswith("(talking)")
    [msg] = await bot.say("2", "/hangup")  # the pick list marks it too
    assert "⏸ on hold" in msg.buttons[0][0].label and "on hold" not in msg.buttons[1][0].label
    ru = Conversation(language="ru")
    await ru.bind("201")
    ru.calls.calls = [replace(active_call(U1), on_hold=True)]
    out = await ru.say("1", "/calls")
    assert out[1].text == "201 ← 79161234567 (разговор) ⏸ на удержании"


async def test_transfer(bot: Conversation) -> None:
    assert "No active calls" in await bot.text("2", "/transfer 202")
    bot.calls.calls = [active_call(U1, legs=(U1, U2))]
    assert "Transferred to 79161112233" in await bot.text("2", "/transfer 8 916 111-22-33")
    assert bot.pbx.sent == [("transfer", {"uuid": U1, "to": "79161112233"})]
    await bot.text("2", f"/transfer 202 {U2}")
    assert bot.pbx.sent[-1] == ("transfer", {"uuid": U2, "to": "202"})
    assert "No such active call" in await bot.text("2", f"/transfer 202 {U3}")
    assert "abroad" in await bot.text("2", "/transfer +442079460000")
    assert len(bot.pbx.sent) == 2


async def test_transfer_of_an_outgoing_call_moves_the_far_leg(bot: Conversation) -> None:
    bot.calls.calls = [active_call(U1, legs=(U1, U2), direction="out", caller="201")]
    await bot.text("2", "/transfer 202")
    assert bot.pbx.sent == [("transfer", {"uuid": U2, "to": "202"})]


async def test_bridge_is_admin_only(bot: Conversation) -> None:
    assert "admin" in await bot.text("2", f"/bridge {U1} {U2}")
    assert "not a call id" in await bot.text("1", f"/bridge {U1} nope")
    assert bot.pbx.sent == []
    assert "connected" in await bot.text("1", f"/bridge {U1} {U2}")
    assert bot.pbx.sent == [("bridge", {"uuid": U1, "to_uuid": U2})]


async def test_listen_by_extension_or_uuid(bot: Conversation) -> None:
    """An operator listens only to calls of this chat's extensions; an admin to any active call."""
    assert "has no active call" in await bot.text("2", "/listen 305")
    bot.calls.calls = [active_call(U1, extensions=("305",))]
    assert "needs an admin" in await bot.text("2", "/listen 305")
    assert "No such active call" in await bot.text("2", f"/listen {U1}")
    assert "No such active call" in await bot.text("2", f"/listen {U2}")  # unknown uuid
    assert bot.pbx.sent == []
    bot.calls.calls.append(active_call(U3, extensions=("305", "201")))
    assert "Listening from 201" in await bot.text("2", "/listen 305")  # the call 305 has with 201
    assert "Listening from 201" in await bot.text("1", "/listen 305")  # admin: full scope
    assert "Listening from 201" in await bot.text("1", f"/listen {U1}")
    assert "No such active call" in await bot.text("1", f"/listen {U2}")  # unknown even for an admin
    assert bot.pbx.sent == [
        ("eavesdrop", {"uuid": U3, "from": "201"}),
        ("eavesdrop", {"uuid": U1, "from": "201"}),
        ("eavesdrop", {"uuid": U1, "from": "201"}),
    ]
    assert "not a call id" in await bot.text("2", "/listen abc")
