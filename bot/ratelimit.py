"""A sliding time window of events per key: the one limiter under pacing, dialing and pairing.

Strategy: per key a deque of timestamps; a read drops the stamps that left the window and deletes
a key left empty, and ``hit`` sweeps idle keys once a window, so memory follows the active keys.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence

_EMPTY: tuple[float, ...] = ()


class SlidingWindow:
    """Counts events per key in a sliding window of ``window_s`` seconds. Pure: no clock, no I/O.

    An event at ``t`` counts until ``t + window_s`` (exclusive), so any half-open window holds
    only the events a limit allowed. Stamps are expected in non-decreasing order per key.
    """

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._stamps: dict[Hashable, deque[float]] = {}
        self._next_sweep = float("-inf")

    def recent(self, key: Hashable, now: float) -> Sequence[float]:
        """The stamps of ``key`` still inside the window at ``now``, oldest first."""
        stamps = self._stamps.get(key)
        if stamps is None:
            return _EMPTY
        while stamps and stamps[0] <= now - self.window_s:
            stamps.popleft()
        if not stamps:
            del self._stamps[key]
        return stamps

    def count(self, key: Hashable, now: float) -> int:
        """How many events of ``key`` are inside the window at ``now``."""
        return len(self.recent(key, now))

    def allowed(self, key: Hashable, now: float, limit: int) -> bool:
        """True while fewer than ``limit`` events of ``key`` are in the window."""
        return self.count(key, now) < limit

    def retry_after(self, key: Hashable, now: float, limit: int) -> float:
        """0 if ``allowed``, else seconds until the oldest counted event leaves the window."""
        stamps = self.recent(key, now)
        if len(stamps) < limit:
            return 0.0
        return stamps[-limit] + self.window_s - now if limit > 0 else float("inf")

    def hit(self, key: Hashable, now: float) -> None:
        """Record an event of ``key`` at ``now`` (and, once a window, forget idle keys)."""
        if now >= self._next_sweep:
            self._sweep(now)
        self._stamps.setdefault(key, deque()).append(now)

    def _sweep(self, now: float) -> None:
        horizon = now - self.window_s
        for key in [k for k, stamps in self._stamps.items() if stamps[-1] <= horizon]:
            del self._stamps[key]
        self._next_sweep = now + self.window_s

    def __len__(self) -> int:
        """Keys held: each has a stamp from the last window or two (a sweep drops the rest)."""
        return len(self._stamps)
