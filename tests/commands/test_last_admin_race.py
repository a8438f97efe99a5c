"""Issue 19 §3: two admins revoking each other at the same moment leave one admin, never none: the
last-admin check and the revoke are one transaction of the store (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.commands import CommandService
from bot.config import Settings
from bot.domain import ChatCommand, ChatRef, Role, UserRef
from tests.fakes import FakeCalls, FakePresence, RecordingPbx
from tests.storage.conftest import open_store

CHAT = ChatRef("telegram", "-100")


def _revoke(by: str, whom: str) -> ChatCommand:
    who = UserRef("telegram", by, f"Admin {by}")
    return ChatCommand(CHAT, who, "revoke", (whom,), whom, chat_title="Ops")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_two_admins_revoking_each_other_leave_one(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = await open_store(kind, tmp_path, request)
    try:
        settings = Settings(_env_file=None, bot_language="en", bot_admins="")  # type: ignore[call-arg]
        service = CommandService(store=store, pbx=RecordingPbx(), calls=FakeCalls(), presence=FakePresence(),
                                 settings=settings)
        for _ in range(20):
            for admin in ("7", "8"):
                await store.grant("telegram", admin, Role.ADMIN, "*")
            replies = await asyncio.gather(service.handle_command(_revoke("7", "8")),
                                           service.handle_command(_revoke("8", "7")))
            admins = [g.user_id for g in await store.list_grants() if g.role == Role.ADMIN]
            assert len(admins) == 1, (admins, [r[0].text for r in replies])
            assert sum("Removed 1 grant" in r[0].text for r in replies) == 1  # the other was refused
            await store.revoke("telegram", admins[0], None)
    finally:
        await store.close()
