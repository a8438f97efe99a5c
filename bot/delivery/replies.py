"""Command replies and alerts do not share a chat's pacing budget: alerts come first.

Strategy: a platform's per-chat limit (Telegram groups: 20 a minute) is split once: a fixed share
(a quarter, at least one) is set aside for command replies, the rest is what the delivery worker
paces alerts by. :class:`ReplyBudget` counts replies per chat in a sliding minute; a reply past
its share is dropped (the adapter logs it), so a crowd typing commands can never delay an alert
or push the chat into the platform's 429s.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace

from bot.ports import PacingLimits
from bot.ratelimit import SlidingWindow

REPLY_SHARE = 4  # replies may use 1/REPLY_SHARE of a chat's per-minute budget


def reply_share(limits: PacingLimits) -> int | None:
    """Replies a chat may get per minute (None: the platform sets no per-minute cap)."""
    if limits.per_minute is None:
        return None
    return max(1, limits.per_minute // REPLY_SHARE) if limits.per_minute > 1 else 0


def alert_limits(limits: PacingLimits) -> PacingLimits:
    """The platform's limits minus the replies' share: what the delivery worker paces alerts by."""
    share = reply_share(limits)
    if limits.per_minute is None or share is None:
        return limits
    return replace(limits, per_minute=max(1, limits.per_minute - share))


class ReplyBudget:
    """Per chat, replies within their share of the platform's per-minute limit. Pure: no clock."""

    def __init__(self) -> None:
        self._sent = SlidingWindow(60.0)

    def available(self, chat: Hashable, platform_limits: PacingLimits, now: float) -> bool:
        """Would a reply to ``chat`` at ``now`` be sent (nothing is counted)?"""
        share = reply_share(platform_limits)
        return share is None or self._sent.allowed(chat, now, share)

    def take(self, chat: Hashable, platform_limits: PacingLimits, now: float) -> bool:
        """Count one reply to ``chat`` at ``now``; False when the replies' share is used up."""
        share = reply_share(platform_limits)
        if share is not None and not self._sent.allowed(chat, now, share):
            return False
        self._sent.hit(chat, now)
        return True
