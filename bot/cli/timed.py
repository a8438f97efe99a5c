"""Command latency for ``/metrics``: the command service wrapped to time every command and button."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.domain import ActionReply, ChatAction, ChatCommand, ChatRef, OutMessage
from bot.i18n import LANGUAGES
from bot.ports import ChatCore

BUTTON_ACTIONS = frozenset({"call", "hangup", "confirm", "cancel", "done"})


class TimedCore:
    """Wraps the command service to observe command latency for ``/metrics``."""

    def __init__(self, inner: ChatCore, observe: Callable[[str, float], None]) -> None:
        self.inner = inner
        self.observe = observe
        self.known = frozenset(name for lang in LANGUAGES for name, _ in inner.menu(lang))

    async def handle_command(self, cmd: ChatCommand) -> list[OutMessage]:
        start = time.perf_counter()
        try:
            return await self.inner.handle_command(cmd)
        finally:
            # a label per known command only: any word a user types must not become a series
            name = cmd.name.lower() if cmd.name.lower() in self.known else "unknown"
            self.observe(name, time.perf_counter() - start)

    async def handle_action(self, action: ChatAction) -> ActionReply:
        start = time.perf_counter()
        try:
            return await self.inner.handle_action(action)
        finally:
            action_name = action.action if action.action in BUTTON_ACTIONS else "unknown"
            self.observe(f"button:{action_name}", time.perf_counter() - start)

    async def handle_migration(self, old: ChatRef, new: ChatRef) -> None:
        await self.inner.handle_migration(old, new)

    def menu(self, language: str) -> list[tuple[str, str]]:
        return self.inner.menu(language)

    async def language(self, chat: ChatRef) -> str:
        return await self.inner.language(chat)
