"""End to end: a chat whose sendMessage answers 403 (bot blocked/removed) is parked, not retried.

The whole app with the PBX simulator and the stand-in Bot API; the store is checked directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from adapters.pbx.simulator import PbxSimulator
from adapters.pbx.simulator.scenario import parse_scenario
from bot.cli.app import Application
from bot.domain import ChatRef
from tests.telegram.standin import StandIn
from tests.telegram.test_e2e import app, say, sim  # noqa: F401  (fixtures reused)

pytestmark = pytest.mark.timeout(40)
BLOCKED, OTHER = ChatRef("telegram", "601"), ChatRef("telegram", "602")


async def missed(sim: PbxSimulator, ext: str) -> None:  # noqa: F811  (the fixture name)
    call = {"from": "79161234567", "to": ext, "ring": [ext], "outcome": "missed", "ring_s": 1,
            "cause": "NO_ANSWER"}  # fmt: skip
    await sim.play(parse_scenario({"steps": [{"at": 0.0, "call": call}]}))


async def until(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    """Polls ``check`` (the store has no change notifications) until true or ``within`` passes."""
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {within}s: {check.__name__}")


def sends_to(api: StandIn, chat: ChatRef) -> int:
    return len([s for s in api.of("sendMessage") if s["chat_id"] == chat.chat_id])


async def test_403_marks_chat_inactive_keeps_entries_and_stops_sending(
    api: StandIn, sim: PbxSimulator, app: Application  # noqa: F811
) -> None:
    await say(api, 601, "/bind 203")
    await say(api, 602, "/bind 204")
    store = app.store
    settings = await store.get_chat(BLOCKED)
    assert settings is not None and settings.active
    blocked_before = sends_to(api, BLOCKED)
    await asyncio.sleep(0.2)  # the stand-in records a call before answering: let the last reply finish

    api.script("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await missed(sim, "203")
    await api.wait_for("sendMessage", len(api.of("sendMessage")) + 1, within=15.0)
    assert sends_to(api, BLOCKED) == blocked_before + 1  # the one attempt, answered 403

    async def parked() -> bool:
        chat = await store.get_chat(BLOCKED)
        return chat is not None and not chat.active

    await until(parked)
    assert len(await store.pending_for_chat(BLOCKED)) == 1  # the alert is kept, not dropped

    await missed(sim, "203")

    async def queued_twice() -> bool:
        return len(await store.pending_for_chat(BLOCKED)) == 2

    await until(queued_twice)  # the second alert is stored but never attempted
    other_before = sends_to(api, OTHER)
    await missed(sim, "204")
    await api.wait_for("sendMessage", len(api.of("sendMessage")) + 1, within=15.0)
    await asyncio.sleep(0.5)
    assert sends_to(api, OTHER) == other_before + 1  # other chats keep receiving
    assert sends_to(api, BLOCKED) == blocked_before + 1  # no further attempt to the blocked chat
    assert len(await store.pending_for_chat(BLOCKED)) == 2
