"""Pending confirmations for destructive commands (reboot, flushreg, unbind).

Strategy: the command is parked under a short random token carried by the Confirm/Cancel
buttons; only the same user in the same chat may take it, once, within five minutes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.domain import ChatCommand

TTL_S = 300.0
MAX_PENDING = 1000


@dataclass(frozen=True, slots=True)
class Pending:
    command: ChatCommand
    expires_at: float


class Confirmations:
    """In-memory store of parked commands. ``take`` returns the command or a reason key."""

    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_s = ttl_s
        self._pending: dict[str, Pending] = {}

    def park(self, command: ChatCommand, now: float) -> str:
        """Park ``command``; returns the token for the buttons (8 url-safe characters)."""
        self._expire(now)
        if len(self._pending) >= MAX_PENDING:
            oldest = min(self._pending, key=lambda k: self._pending[k].expires_at)
            del self._pending[oldest]
        token = secrets.token_urlsafe(6)
        self._pending[token] = Pending(command, now + self.ttl_s)
        return token

    def take(self, token: str, command_like: ChatCommand, now: float) -> ChatCommand | str:
        """The parked command if ``command_like`` comes from the same chat and user, else a
        reason key: ``confirm.unknown`` (never parked, used, or expired) or ``confirm.not_yours``.
        A wrong taker does not consume the token."""
        self._expire(now)
        pending = self._pending.get(token)
        if pending is None:
            return "confirm.unknown"
        parked = pending.command
        if parked.chat != command_like.chat or parked.user != command_like.user:
            return "confirm.not_yours"
        del self._pending[token]
        return parked

    def _expire(self, now: float) -> None:
        for token in [k for k, p in self._pending.items() if p.expires_at <= now]:
            del self._pending[token]
