"""The event side of the core, glued: PBX event -> trackers -> store snapshots -> alert router.

Strategy: trackers are pure and decide; this class only sequences the I/O (route first, then
persist, so a crash never loses a missed call, and the outbox dedup keys make a replay harmless)
and wakes the delivery worker. One bad event or a store hiccup is logged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bot.alerts.resolve import FollowUps
from bot.alerts.router import AlertRouter
from bot.domain import RegistrationChange, SipUser
from bot.errors import BotError, StorageError
from bot.events import Blf, PbxEvent, Registration
from bot.ports import Store
from bot.tracking import CallTracker, CallUpdate, Presence, RegistrationTracker

logger = logging.getLogger(__name__)

#: pauses between retries of an alert that could not be enqueued (a locked or busy database):
#: the tracker has already decided the call, so dropping it would lose the alert for good
ENQUEUE_RETRY_S = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)


class EventPipeline:
    """Feeds PBX events to the trackers and routes their output (see module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        tracker: CallTracker,
        registrations: RegistrationTracker,
        presence: Presence,
        router: AlertRouter,
        clock: Callable[[], float] = time.time,
        on_alert: Callable[[], None] | None = None,
        followups: FollowUps | None = None,
    ) -> None:
        self._store = store
        self._tracker = tracker
        self._registrations = registrations
        self._presence = presence
        self._router = router
        self._clock = clock
        self._on_alert = on_alert
        self._followups = followups
        self._bugs_seen: set[type[Exception]] = set()

    async def handle(self, event: PbxEvent) -> None:
        """Apply one PBX event; never raises for bad input or a failing store."""
        try:
            if isinstance(event, Registration):
                await self._registration_changes(self._registrations.feed(event))
            elif isinstance(event, Blf):
                self._presence.on_blf(event)
                if event.status.strip().lower() == "unregistered":
                    await self._registration_changes(self._registrations.unregistered(event.uid))
            else:
                await self._call_updates(self._tracker.feed(event))
        except BotError as exc:
            logger.error("dropped %s event: %s: %s", type(event).__name__, type(exc).__name__, exc)
        except Exception as exc:  # safety net: a tracker bug must not stop the event loop
            self._log_bug(event, exc)

    def _log_bug(self, event: PbxEvent, exc: Exception) -> None:
        """A built-in error is a bug: drop the event, with the traceback once per exception type."""
        first = type(exc) not in self._bugs_seen
        self._bugs_seen.add(type(exc))
        logger.error("dropped %s event: %s: %s", type(event).__name__, type(exc).__name__, exc,
                     exc_info=exc if first else None)

    async def tick(self) -> None:
        """Evict stale calls, expire registrations and close flap windows (call every second)."""
        now = self._clock()
        try:
            await self._call_updates(self._tracker.evict(now))
            await self._registration_changes(self._registrations.tick(now))
        except BotError as exc:
            logger.error("tick failed: %s: %s", type(exc).__name__, exc)
        except Exception as exc:  # safety net: the ticker must outlive a tracker bug
            first = type(exc) not in self._bugs_seen
            self._bugs_seen.add(type(exc))
            logger.error("tick failed: %s: %s", type(exc).__name__, exc, exc_info=exc if first else None)

    async def restore(self) -> None:
        """Re-track the calls a previous process saved (run once at startup, before events)."""
        snapshots = await self._store.load_calls()
        self._tracker.restore(snapshots)
        logger.info("restored %d tracked call(s)", len(snapshots))

    async def seed_users(self, users: list[SipUser]) -> None:
        """Startup/reconnect ``user_list``: registered phones are online (no alert), names known."""
        self._registrations.seed(users, self._clock())
        self._presence.update_users(users)

    async def _call_updates(self, updates: list[CallUpdate]) -> None:
        if not updates:
            return
        now = self._clock()
        enqueued = 0
        for update in updates:
            enqueued += await self._enqueue_call(update, now)
            if update.finished and self._followups is not None:
                enqueued += await self._follow_up(update, now)
            call_id = update.card.call_id
            if update.finished:
                await self._store.delete_call(call_id)
            elif update.persist:
                snapshot = self._tracker.snapshot(call_id)
                if snapshot:
                    await self._store.save_call(call_id, snapshot, now)
        self._wake(enqueued)

    async def _enqueue_call(self, update: CallUpdate, now: float) -> int:
        """Route one call update, retrying a store error a few times (back-pressures the link)."""
        for pause in ENQUEUE_RETRY_S:
            try:
                return await self._router.on_call_update(update, now)
            except StorageError as exc:
                logger.warning("alert for call %s not stored yet, retrying in %.1f s: %s",
                               update.card.call_id, pause, exc)
                await asyncio.sleep(pause)
        return await self._router.on_call_update(update, now)

    async def _follow_up(self, update: CallUpdate, now: float) -> int:
        """Record the call and resolve what it answers; a store error loses only the follow-up."""
        assert self._followups is not None
        try:
            return await self._followups.on_finished(update, now)
        except BotError as exc:
            logger.error("follow-up of call %s dropped: %s: %s", update.card.call_id, type(exc).__name__, exc)
            return 0

    async def _registration_changes(self, changes: list[RegistrationChange]) -> None:
        if not changes:
            return
        now = self._clock()
        enqueued = 0
        for change in changes:
            enqueued += await self._router.on_registration_change(change, now)
        self._wake(enqueued)

    def _wake(self, enqueued: int) -> None:
        if enqueued and self._on_alert is not None:
            self._on_alert()
