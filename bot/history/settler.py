"""HistorySettler: reads the call history over every gap and queues what the bot missed.

Strategy: a watermark in SQLite (``history.complete_up_to``, UNIX seconds) is the time up to which
the bot's view of calls is complete; live events advance it while no gap is open. At start and
after every reconnect (and after a live "uncertain" verdict) a gap is opened from the watermark;
:meth:`run` settles it (search from the watermark minus a margin to now, :func:`.reconcile.settle`,
queue) and retries with backoff while the history fails; the watermark moves only on success.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.alerts import AlertRouter
from bot.backoff import Backoff
from bot.domain import MissedCall
from bot.errors import BotError
from bot.history.ledger import LiveLedger
from bot.history.queue import queue_settlement
from bot.history.reconcile import Settlement, settle
from bot.ports import CallHistory, Store

logger = logging.getLogger(__name__)
WATERMARK_KEY = "history.complete_up_to"
#: an uncertain call the history does not list yet is looked for again after this many seconds,
#: for up to UNCERTAIN_GIVE_UP_S after it started (then its uncertain alert stands)
UNCERTAIN_RETRY_S = 30.0
UNCERTAIN_GIVE_UP_S = 3600.0


@dataclass
class _Gap:
    from_s: float
    reason: str  # "offline" | "link_down"


class HistorySettler:
    """See the module docstring. ``margin_s``: read this much before the watermark (calls that
    were ringing when the gap began); ``delay_s``: wait this long before a pass (the history
    lists a call once it ended); ``max_age_s``: older missed calls go as one digest per chat."""

    def __init__(
        self,
        history: CallHistory,
        store: Store,
        router: AlertRouter,
        ledger: LiveLedger,
        *,
        country: str = "RU",
        max_age_s: float = 24 * 3600.0,
        margin_s: float = 300.0,
        delay_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        on_alert: Callable[[], None] | None = None,
        on_settled: Callable[[MissedCall, bool, float], Awaitable[None]] | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._history, self._store, self._router, self.ledger = history, store, router, ledger
        self._country, self._max_age_s, self._margin_s, self.delay_s = country, max_age_s, margin_s, delay_s
        self._clock, self._on_alert, self._sleep = clock, on_alert, sleep
        #: told each call the history decided (call, answered?, now): follow-ups and reports
        self._on_settled = on_settled
        self.backoff = backoff or Backoff(base=2.0, cap=300.0)
        self._mark: float | None = None
        self._saved: float | None = None
        self._gap: _Gap | None = None
        self._gen = 0  # bumped whenever a gap opens or grows: a pass closes only what it read
        self._link_up = True  # passes wait while the link is down (the gap is still growing)
        self.uncertain_retry_s = UNCERTAIN_RETRY_S
        self._wake = asyncio.Event()
        self.state = "idle"  # idle | pending | ok | failing
        self.last_ok_at: float | None = None
        self.last_error = ""
        self.failures = 0  # consecutive
        self.alerts = 0
        self.digests = 0
        self.passes = 0

    # --- gaps --------------------------------------------------------------------------------
    async def start(self) -> None:
        """At process start: the time since the stored watermark is a gap (the bot was offline).
        The very first start has no watermark: nothing before it is the bot's business."""
        raw = await self._store.get_setting(WATERMARK_KEY)
        now = self._clock()
        if raw is None:
            self._mark = now
            await self.persist()
            return
        self._mark = float(raw)
        self._open(self._mark, "offline")

    def saw_event(self, now: float) -> None:
        """A PBX event arrived over a live link: the view is complete up to ``now``."""
        if self._gap is None:
            self._mark = now

    def link_down(self) -> None:
        """The link dropped: events from now on may be lost until the history says otherwise."""
        self._link_up = False
        self._open(self._mark if self._mark is not None else self._clock(), "link_down", wake=False)

    def link_up(self) -> None:
        """The link is back: settle the gap."""
        self._link_up = True
        if self._gap is not None:
            self._wake.set()

    def uncertain(self, started_s: float) -> None:
        """A live verdict was left uncertain: let the history settle it (after ``delay_s``)."""
        self._open(started_s, "link_down")

    def _open(self, from_s: float, reason: str, *, wake: bool = True) -> None:
        self._gen += 1
        if self._gap is None:
            self._gap = _Gap(from_s, reason)
        else:
            self._gap.from_s = min(self._gap.from_s, from_s)
        self.state = "pending" if self.state != "failing" else self.state
        if wake:
            self._wake.set()

    async def persist(self) -> None:
        """Store the watermark if it moved (call periodically; cheap when it did not)."""
        if self._mark is not None and self._mark != self._saved:
            await self._store.set_setting(WATERMARK_KEY, f"{self._mark:.3f}")
            self._saved = self._mark

    # --- settling ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Settle gaps as they open, forever; a failing history is retried with backoff. Run
        again by the supervisor after an unexpected error, it goes on with a gap left open."""
        while True:
            if self._gap is None or not self._link_up:
                await self._wake.wait()
            self._wake.clear()
            await self._sleep(self.delay_s)
            while self._gap is not None and self._link_up:
                try:
                    await self.settle_gap()
                except BotError as exc:
                    await self._failed(exc)

    async def _failed(self, exc: BotError) -> None:
        self.failures += 1
        self.state, self.last_error = "failing", f"{type(exc).__name__}: {exc}"
        delay = self.backoff.next_delay()
        logger.warning(
            "call history not read (%s); retry %d in %.0f s", self.last_error, self.failures, delay
        )
        await self._sleep(delay)

    async def settle_gap(self) -> Settlement | None:
        """One pass over the open gap (raises the history's error; the gap stays open then)."""
        gap = self._gap
        if gap is None:
            return None
        now, gen = self._clock(), self._gen
        records = await self._history.search(int(gap.from_s - self._margin_s), int(now) + 1)
        result = settle(
            records,
            self.ledger.calls(),
            backfill=gap.reason,
            now_s=now,
            max_age_s=self._max_age_s,
            country=self._country,
        )
        queued = await self._apply(result, gap.reason, now)
        for call_id, verdict in result.settled:
            self.ledger.resolve(call_id, verdict)
        self._look_again(now)
        if self._gen == gen:  # else the gap grew while we read: the loop reads it again
            self._gap, self._mark = None, now
        await self.persist()
        self.passes += 1
        self.state, self.last_ok_at, self.failures, self.last_error = "ok", now, 0, ""
        self.backoff.reset()
        logger.info(
            "call history %s..%s: %d record(s), %d matched live, %d alert(s) queued",
            int(gap.from_s - self._margin_s),
            int(now),
            len(records),
            result.matched,
            queued,
        )
        if queued and self._on_alert is not None:
            self._on_alert()
        return result

    def _look_again(self, now: float) -> None:
        """Uncertain calls the history does not list yet (it lags behind the call's end)."""
        waiting = self.ledger.uncertain_since(now - UNCERTAIN_GIVE_UP_S)
        if waiting:
            first = min(c.start_s for c in waiting)
            asyncio.get_running_loop().call_later(self.uncertain_retry_s, self.uncertain, first)

    async def _apply(self, result: Settlement, reason: str, now: float) -> int:
        alerts, digests = await queue_settlement(self._store, self._router, result, reason, now)
        self.alerts, self.digests = self.alerts + alerts, self.digests + digests
        if self._on_settled is not None:
            for missed in (*result.alerts, *result.confirmed, *result.digest):
                await self._on_settled(missed, False, now)
            for answered in result.answered:
                await self._on_settled(answered, True, now)
        return alerts + digests

    def status(self) -> dict[str, Any]:
        """For ``/healthz``: state, last success, consecutive failures and the last error."""
        return {
            "state": self.state,
            "last_ok_at": self.last_ok_at,
            "failures": self.failures,
            "last_error": self.last_error,
            "gap_open": self._gap is not None,
        }
