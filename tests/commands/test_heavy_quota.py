"""Issue 19 §3: heavy commands (/report, /history, /missed) are limited per person
(``BOT_HEAVY_PER_MINUTE``, default 6), checked before the work is done (the Telegram side:
tests/telegram/test_heavy_skipped.py)."""

from __future__ import annotations

from bot.commands import CommandService
from bot.config import Settings
from bot.domain import ChatCommand, ChatRef, HistoryRecord, Role, UserRef
from storage.memory import MemoryStore
from tests.fakes import FakeCalls, FakePresence, RecordingPbx

CHAT = ChatRef("telegram", "-100")


class CountingHistory:
    """A call history that only counts how often it was read."""

    def __init__(self) -> None:
        self.searches = 0

    async def search(self, start_s: int, end_s: int) -> list[HistoryRecord]:
        self.searches += 1
        return []


async def _service(**settings: object) -> tuple[CommandService, CountingHistory, list[float]]:
    store, history, now = MemoryStore(), CountingHistory(), [1_700_000_000.0]
    await store.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
    await store.bind(CHAT, "201")
    await store.grant("telegram", "4", Role.VIEWER, CHAT.chat_id)
    cfg = Settings(_env_file=None, bot_language="en", **settings)  # type: ignore[call-arg, arg-type]
    service = CommandService(store=store, pbx=RecordingPbx(), calls=FakeCalls(), presence=FakePresence(),
                             settings=cfg, clock=lambda: now[0], history=history)
    return service, history, now


def _cmd(name: str) -> ChatCommand:
    return ChatCommand(CHAT, UserRef("telegram", "4", "Vera"), name, (), "", chat_title="Ops")


async def test_heavy_commands_are_limited_per_person_before_the_work() -> None:
    service, history, now = await _service()
    replies = [await service.handle_command(_cmd("history")) for _ in range(8)]
    assert history.searches <= 6 * 2  # /history reads a day, then a week: at most 6 runs
    assert all("try again in" not in r[0].text for r in replies[:6])
    assert all("6 of these a minute" in r[0].text for r in replies[6:])
    assert "try again in" in (await service.handle_command(_cmd("report")))[0].text  # one quota
    searches = history.searches
    assert "try again in" in (await service.handle_command(_cmd("missed")))[0].text
    assert history.searches == searches
    now[0] += 61
    assert "try again in" not in (await service.handle_command(_cmd("history")))[0].text


async def test_the_quota_is_a_setting() -> None:
    service, _, _ = await _service(bot_heavy_per_minute=2)
    texts = [(await service.handle_command(_cmd("missed")))[0].text for _ in range(3)]
    assert ["try again in" in t for t in texts] == [False, False, True]
