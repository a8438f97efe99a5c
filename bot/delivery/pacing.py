"""Per-chat pacing: when may a chat receive its next message under the platform's limits?

Strategy: a pure object keeping, per chat, the times of its last sends in a sliding 60 s window;
``next_slot`` answers from ``min_interval_s`` and ``per_minute``, ``record`` notes a send.
"""

from __future__ import annotations

from collections.abc import Hashable

from bot.ports import PacingLimits
from bot.ratelimit import SlidingWindow

WINDOW_S = 60.0


class Pacer:
    """Answers "when may this chat get its next message?" for :class:`PacingLimits`.

    A send at time ``t`` counts against the window until ``t + 60`` (exclusive), so any
    half-open 60 s interval holds at most ``per_minute`` sends. Only a short volley
    (``per_minute // 5``, at least 1) may go at ``min_interval_s``; while that many sends are in
    the window, sends are spread ``60 / (per_minute - volley)`` apart (3.75 s for 20/min), so a
    long burst gets a steady trickle of 16 a minute instead of 20 quick sends and a 40 s stall.
    No I/O, no clock of its own.
    """

    def __init__(self, window_s: float = WINDOW_S) -> None:
        self._window = window_s
        self._sends = SlidingWindow(window_s)

    def next_slot(self, key: Hashable, limits: PacingLimits, now: float) -> float:
        """The earliest time >= ``now`` at which ``key`` may receive a message."""
        sends = self._sends.recent(key, now)
        if not sends:
            return now
        slot = max(now, sends[-1] + limits.min_interval_s)
        cap = limits.per_minute
        if cap is not None and cap > 0 and len(sends) >= max(1, cap // 5):
            slot = max(slot, sends[-1] + self._window / max(1, cap - max(1, cap // 5)))
        if cap is not None and len(sends) >= cap:
            slot = max(slot, sends[-cap] + self._window if cap > 0 else float("inf"))
        return slot

    def remaining(self, key: Hashable, limits: PacingLimits, now: float) -> int | None:
        """Messages ``key`` may still receive in the current window (None: no per-minute cap)."""
        if limits.per_minute is None:
            return None
        return max(0, limits.per_minute - self._sends.count(key, now))

    def record(self, key: Hashable, at: float) -> None:
        """Note a message (or an attempt the platform may have counted) sent at ``at``."""
        self._sends.hit(key, at)

    def __len__(self) -> int:
        return len(self._sends)
