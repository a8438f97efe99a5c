"""A recording ChatCore for the Slack adapter tests, and signed-request helpers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

from bot.config import Settings
from bot.domain import ActionReply, ChatAction, ChatCommand, ChatRef, OutMessage, Span


class RecordingCore:
    """Records commands and actions; answers with ``replies`` / ``action_reply``; ``gate`` can
    hold the answer back (a slow PBX) until the test sets it."""

    def __init__(self) -> None:
        self.commands: list[ChatCommand] = []
        self.actions: list[ChatAction] = []
        self.replies = [OutMessage((Span("201", "bold"), Span(" online <ok>")))]
        self.action_reply = ActionReply(toast="Calling…", edit=OutMessage.plain("Called back"))
        self.gate = asyncio.Event()
        self.gate.set()
        self.received = asyncio.Event()
        self.fail = False  # raise from handle_command (a core bug must not kill the listener)
        self.chat_language = "ru"  # what ``language`` answers for every chat

    async def handle_command(self, cmd: ChatCommand) -> list[OutMessage]:
        self.commands.append(cmd)
        self.received.set()
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("core bug")
        return list(self.replies)

    async def handle_action(self, action: ChatAction) -> ActionReply:
        self.actions.append(action)
        self.received.set()
        await self.gate.wait()
        return self.action_reply

    async def handle_migration(self, old: ChatRef, new: ChatRef) -> None:
        return None

    def menu(self, language: str) -> list[tuple[str, str]]:
        return [("who", "who is online")]

    async def language(self, chat: ChatRef) -> str:
        return self.chat_language


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack v0 request signature headers for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slack_settings(**values: object) -> Settings:
    """Settings with only these values (no ``.env``, no environment leakage of Slack keys)."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]
