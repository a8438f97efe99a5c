"""Per-person quotas that keep a busy or hostile chat from costing the bot work nobody will read.

Strategy: two sliding windows (pure, no clock): heavy commands (``/report``, ``/history``,
``/missed``: history reads, charts) at most ``BOT_HEAVY_PER_MINUTE`` per person, checked before
the work is done; and one audit line a minute per person and button for refused presses, so a
finger on a button cannot fill the audit log.
"""

from __future__ import annotations

from bot.domain import ChatRef, UserRef
from bot.ratelimit import SlidingWindow

HEAVY = frozenset({"report", "history", "missed"})  # viewers' commands that read and draw a lot
REFUSAL_AUDIT_S = 60.0  # repeated refusals of one person's presses: one audit line per minute


class Quotas:
    """``heavy_wait`` before a heavy command; ``audit_refusal`` before auditing a refused press."""

    def __init__(self, heavy_per_minute: int) -> None:
        self.heavy_per_minute = heavy_per_minute
        self._heavy = SlidingWindow(60.0)
        self._refusals = SlidingWindow(REFUSAL_AUDIT_S)

    def heavy_wait(self, user: UserRef, now: float) -> float:
        """0 and one heavy command counted, or the seconds until ``user`` may run one again."""
        key = (user.platform, user.user_id)
        wait = self._heavy.retry_after(key, now, self.heavy_per_minute)
        if wait <= 0:
            self._heavy.hit(key, now)
        return wait

    def audit_refusal(self, user: UserRef, chat: ChatRef, action: str, now: float) -> bool:
        """True when this refused press should be audited (the first of its minute)."""
        key = (user.platform, user.user_id, chat.chat_id, action)
        if not self._refusals.allowed(key, now, 1):
            return False
        self._refusals.hit(key, now)
        return True
