"""The core asks what the connected PBX can do: a chat command whose PBX command the account's API
lacks answers "not available on this PBX's API" (ru/en), sends nothing, and is left out of /help
and the menus. Commands the API has keep working."""

from __future__ import annotations

import pytest

from bot.commands.chat import COMMANDS, NEEDS
from bot.domain import Role
from bot.errors import PbxNotSupported
from bot.ports import PBX_COMMANDS
from tests.fakes import Conversation

#: what WebSockets API 3.0 plus the HTTP API offer
V3 = frozenset({"transfer", "bridge", "hangup_call", "make_call", "user_list", "trunk_list"})
MISSING_ON_V3 = ["listen", "reboot", "reloadgw", "sipmsg", "flushreg", "broadcast"]


def on_v3(language: str = "en") -> Conversation:
    conv = Conversation(language=language)
    conv.pbx.capabilities = V3
    conv.pbx.api_name = "3.0"
    return conv


def test_every_needed_command_is_a_pbx_command_and_a_chat_command() -> None:
    assert set(NEEDS.values()) <= PBX_COMMANDS
    assert set(NEEDS) <= set(COMMANDS)
    assert {NEEDS[name] for name in MISSING_ON_V3}.isdisjoint(V3)


@pytest.mark.parametrize("line", ["/listen 201", "/reboot 201 yealink", "/reloadgw 74951112233",
                                  "/sipmsg 201 hi", "/flushreg 201", "/broadcast hello"])
async def test_missing_command_answers_plainly_and_sends_nothing(line: str) -> None:
    conv = on_v3()
    await conv.bind("201")
    assert await conv.text("1", line) == "Not available on this PBX's API (3.0)."
    assert conv.pbx.sent == []
    [entry] = await conv.store.recent_audit(1)
    assert entry.result == "unavailable on API 3.0" and not entry.allowed


async def test_russian_text() -> None:
    conv = on_v3("ru")
    assert await conv.text("1", "/listen 201") == "Недоступно в API этой АТС (3.0)."


async def test_roles_are_still_checked_first() -> None:
    conv = on_v3()
    await conv.bind("201")
    await conv.grant("3", Role.VIEWER)
    assert "needs the operator role" in await conv.text("3", "/sipmsg 201 hi")


async def test_help_and_menu_leave_missing_commands_out() -> None:
    conv = on_v3()
    await conv.bind("201")
    helped = await conv.text("1", "/help")
    menu = [name for name, _ in conv.service.menu("en")]
    for name in MISSING_ON_V3:
        assert f"/{name} " not in helped + " "
        assert name not in menu
    for name in ("call", "hangup", "transfer", "bridge", "who", "trunks", "bind"):
        assert f"/{name} —" in helped
        assert name in menu


async def test_full_api_offers_everything() -> None:
    conv = Conversation()
    await conv.bind("201")
    menu = [name for name, _ in conv.service.menu("ru")]
    assert menu == list(COMMANDS)


async def test_commands_the_api_has_still_run() -> None:
    conv = on_v3()
    await conv.bind("201")
    assert "Calling 79161234567 from 201" in await conv.text("1", "/call 79161234567")
    assert conv.pbx.sent == [("make_call", {"from": "201", "to": "79161234567"})]
    assert "Calling" in (await conv.press("1", "call", "79161234568")).toast


async def test_a_source_refusing_at_call_time_is_the_same_answer() -> None:
    conv = Conversation()
    await conv.bind("201")
    conv.pbx.fail_next("trunk_list", PbxNotSupported("trunk_list", "3.0"))
    assert await conv.text("1", "/trunks") == "Not available on this PBX's API (3.0)."
