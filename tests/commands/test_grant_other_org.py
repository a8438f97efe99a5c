"""Issue 19 §3: people carry their organisation (Slack team, or Enterprise Grid id), and /grant
refuses a person of another organisation however named: a mention, a plain @name or name, a raw
member id; a person the bot cannot place is refused too. The store keeps an organisation once
known. Where there are no organisations (Telegram) nothing changes."""

from __future__ import annotations

import pytest

from bot.commands import CommandService
from bot.config import Settings
from bot.domain import ChatCommand, ChatRef, UserRef
from storage.memory import MemoryStore
from tests.fakes import FakeCalls, FakePresence, RecordingPbx

CHAT = ChatRef("slack", "C0SHARED")
ADMIN = UserRef("slack", "U0ADMIN", "boss", "boss", org="T1")
EVE = UserRef("slack", "U0EVE", "eve", "eve", org="T2EXTERNAL")
ANNA = UserRef("slack", "U0ANNA", "anna", "anna", org="T1")


def _cmd(user: UserRef, line: str, mentions: tuple[UserRef, ...] = ()) -> ChatCommand:
    name, _, rest = line.partition(" ")
    return ChatCommand(CHAT, user, name, tuple(rest.split()), rest, chat_title="shared", mentions=mentions,
                       org=user.org)


@pytest.fixture
async def service() -> CommandService:
    store = MemoryStore()
    settings = Settings(_env_file=None, bot_language="en", bot_admins="slack:U0ADMIN")  # type: ignore[call-arg]
    service = CommandService(store=store, pbx=RecordingPbx(), calls=FakeCalls(), presence=FakePresence(),
                             settings=settings)
    for person in (EVE, ANNA):
        await service.handle_command(_cmd(person, "help"))  # seen once, with their organisation
    return service


async def _grant(service: CommandService, target: str, mentions: tuple[UserRef, ...] = ()) -> str:
    replies = await service.handle_command(_cmd(ADMIN, f"grant {target} admin", mentions))
    return "\n".join(m.text for m in replies)


@pytest.mark.parametrize("target, mentions", [
    ("<@U0EVE|eve>", (EVE,)), ("@eve", ()), ("eve", ()), ("U0EVE", (EVE,)), ("U0EVE", ())])
async def test_a_person_of_another_organisation_is_refused_however_named(
    service: CommandService, target: str, mentions: tuple[UserRef, ...]
) -> None:
    reply = await _grant(service, target, mentions)
    assert "another organisation" in reply, reply
    store = service._deps.store
    assert await store.roles_of("slack", "U0EVE") == {}


async def test_a_known_organisation_outlives_a_sighting_without_one(service: CommandService) -> None:
    await service.handle_command(_cmd(UserRef("slack", "U0EVE", "eve", "eve"), "help"))  # no org said
    assert "another organisation" in await _grant(service, "@eve")


async def test_a_person_the_bot_cannot_place_is_refused(service: CommandService) -> None:
    reply = await _grant(service, "U0NEVERSEEN")
    assert "cannot tell which organisation" in reply
    assert await service._deps.store.roles_of("slack", "U0NEVERSEEN") == {}


@pytest.mark.parametrize("target", ["@anna", "anna", "U0ANNA", "<@U0ANNA|anna>"])
async def test_a_person_of_the_same_organisation_gets_the_role(service: CommandService, target: str) -> None:
    assert "is now admin everywhere" in await _grant(service, target)
