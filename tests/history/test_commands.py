"""HTTP where the socket is not enough, through the real HttpPbx against the simulator:
``/history [N|today]``, ``/who`` names from user/get.json, click-to-call while the socket is down."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from adapters.pbx.combined import CombinedPbx
from adapters.pbx.http import HttpPbx
from adapters.pbx.simulator import PbxSimulator
from bot.commands import CommandService
from bot.domain import Role, SipUser
from bot.errors import PbxUnavailable
from tests.fakes import Conversation
from tests.pbx.http.conftest import play_calls
from tests.simulator.probe import DOMAIN, KEY, make_sim


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    s = make_sim()
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def http(sim: PbxSimulator) -> AsyncIterator[HttpPbx]:
    client = HttpPbx(sim.url, DOMAIN, KEY, timeout=2.0)
    yield client
    await client.close()


def wire(conv: Conversation, http: HttpPbx, *, socket_up: bool = True) -> CombinedPbx:
    """The conversation's service over CombinedPbx(recording socket, real HTTP client)."""
    combined = CombinedPbx(conv.pbx, http, lambda: socket_up)
    conv.now = time.time()
    conv.service = CommandService(store=conv.store, pbx=combined, calls=conv.calls, presence=conv.presence,
                                  settings=conv.settings, clock=lambda: conv.now, history=http)
    return combined


@pytest.fixture
async def conv() -> Conversation:
    c = Conversation()
    await c.bind("201")
    await c.grant("3", Role.VIEWER)
    return c


async def test_history_lists_this_chats_calls_with_verdict_answerer_and_times(
        sim: PbxSimulator, http: HttpPbx, conv: Conversation) -> None:
    wire(conv, http)
    missed = {"from": "79161234567", "to": "201", "ring": ["201"], "outcome": "missed", "ring_s": 1}
    await play_calls(sim, missed,
                     {"from": "74957654321", "to": "500", "ring": ["201", "202"], "answered_by": "202",
                      "ring_s": 1, "talk_s": 2},
                     {"from": "74950000000", "to": "204", "ring": ["204"], "outcome": "missed", "ring_s": 1})
    text = await conv.text("3", "/history")
    lines = text.splitlines()
    assert lines[0] == "Last calls of 201:" and len(lines) == 3, text
    assert any("+7 916 123-45-67" in x and "❌ missed" in x and "talk 0:00" in x for x in lines), text
    assert any("→ 500" in x and "✅ answered by 202" in x for x in lines), text
    assert "74950000000" not in text and "495 000" not in text  # 204 is not this chat's
    assert "Last calls of 201:" in await conv.text("3", "/history today")
    assert len((await conv.text("3", "/history 1")).splitlines()) == 2


async def test_history_needs_a_role_a_binding_and_a_valid_argument(http: HttpPbx, conv: Conversation) -> None:
    wire(conv, http)
    assert "/history [N|today]" in await conv.text("3", "/history lots")
    assert "needs the viewer role" in await conv.text("9", "/history")  # no role here
    await conv.grant("4", Role.VIEWER, scope="*")
    assert "/bind one first" in await conv.text("4", "/history", chat="555")  # an unbound chat
    assert "/history" in await conv.text("3", "/help")


async def test_history_without_a_configured_history_says_so() -> None:
    conv = Conversation()
    await conv.bind("201")
    assert await conv.text("1", "/history") == "Not available on this PBX's API (2.0)."


async def test_who_takes_names_from_the_http_api_where_the_socket_lacks_them(
        http: HttpPbx, conv: Conversation) -> None:
    wire(conv, http)
    conv.pbx.users = [SipUser("201", agent="Yealink T46"), SipUser("202", name="Boris")]
    text = await conv.text("3", "/who")
    assert "201 online · Анна Смирнова · Yealink T46" in text and "202 online · Boris" in text, text


async def test_click_to_call_goes_over_http_while_the_socket_is_down(
        sim: PbxSimulator, http: HttpPbx, conv: Conversation) -> None:
    await conv.grant("2", Role.OPERATOR)
    wire(conv, http, socket_up=False)
    text = await conv.text("2", "/call 79161234567")
    assert "Calling 79161234567 from 201" in text, text
    assert conv.pbx.names() == [] and sim.http_api.requests[-1] == "call/now.json"


async def test_click_to_call_falls_back_when_the_socket_times_out_unavailable(
        sim: PbxSimulator, http: HttpPbx, conv: Conversation) -> None:
    await conv.grant("2", Role.OPERATOR)
    wire(conv, http, socket_up=True)
    conv.pbx.fail_next("make_call", PbxUnavailable("link down"))
    assert "Calling 79161234567 from 201" in await conv.text("2", "/call 79161234567")
    assert conv.pbx.names() == ["make_call"] and "call/now.json" in sim.http_api.requests


async def test_a_caller_name_from_the_history_cannot_forge_lines(
        sim: PbxSimulator, http: HttpPbx, conv: Conversation) -> None:
    """Text from outside (the PBX's caller ID name) is one bounded line in /history."""
    wire(conv, http)
    forged = "Ivan\n✅ answered by 201 · ring 0:01\u202e"
    await play_calls(sim, {"from": "79161234567", "name": forged, "to": "201", "ring": ["201"],
                           "outcome": "missed", "ring_s": 1})
    lines = (await conv.text("3", "/history")).splitlines()
    assert len(lines) == 2, lines  # the title and one call: no forged second line
    assert "❌ missed" in lines[1] and "\u202e" not in lines[1]
