"""Long-running loops outlive bugs and odd timing: the ticker, the worker's stop, metric labels."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.cli.app import TimedCore
from bot.delivery.worker import DeliveryWorker
from bot.domain import ActionReply, ChatAction, ChatCommand, ChatRef, OutMessage, UserRef
from bot.tracking.calls import CallTracker, CallUpdate
from storage.memory import MemoryStore
from tests.alerts.test_pipeline import make
from tests.delivery.fakes import FakeRenderer
from tests.tracking.test_calls import Clock


class ExplodingTracker(CallTracker):
    def evict(self, now: float) -> list[CallUpdate]:
        raise IndexError("a bug in eviction")


async def test_a_tracker_bug_in_tick_is_logged_once_with_traceback_and_tick_keeps_working(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    pipe = make(MemoryStore(), clock)
    pipe._tracker = ExplodingTracker(clock=clock)
    for _ in range(3):
        await pipe.tick()  # must not raise
    bugs = [r for r in caplog.records if "tick failed: IndexError" in r.getMessage()]
    assert all(r.levelno == logging.ERROR for r in bugs)
    assert len(bugs) == 3
    assert [r.exc_info is not None for r in bugs] == [True, False, False]


async def test_a_stop_that_comes_before_run_is_not_lost() -> None:
    worker = DeliveryWorker(MemoryStore(), {}, FakeRenderer())
    stopping = asyncio.create_task(worker.stop())
    await asyncio.sleep(0)
    await asyncio.wait_for(worker.run(), 2.0)  # returns at once instead of running forever
    await stopping


class Core:
    async def handle_command(self, cmd: ChatCommand) -> list[OutMessage]:
        return []

    async def handle_action(self, action: ChatAction) -> ActionReply:
        return ActionReply(toast="")

    async def handle_migration(self, old: ChatRef, new: ChatRef) -> None:
        return None

    def menu(self, language: str) -> list[tuple[str, str]]:
        return [("who", "…"), ("call", "…")]

    async def language(self, chat: ChatRef) -> str:
        return "en"


async def test_metric_labels_are_known_commands_only() -> None:
    seen: list[str] = []
    core = TimedCore(Core(), lambda name, _s: seen.append(name))
    chat, user = ChatRef("telegram", "1"), UserRef("telegram", "2")
    for name in ("who", "WHO", "xyzzy_typo_123", "call"):
        await core.handle_command(ChatCommand(chat, user, name))
    await core.handle_action(ChatAction(chat, user, "call"))
    await core.handle_action(ChatAction(chat, user, "forged-action"))
    assert seen == ["who", "who", "unknown", "call", "button:call", "button:unknown"]
