"""The event side of the core, glued: PBX event -> trackers -> store snapshots -> alert router.

Strategy: trackers are pure and decide; this class only sequences the I/O (route first, then
persist, so a crash never loses a missed call, and the outbox dedup keys make a replay harmless)
and wakes the delivery worker. One bad event or a store hiccup is logged and dropped.

Group commit (#14): ``handle_many`` applies a batch of events one by one (the per-event logic
below is unchanged) while a :class:`bot.alerts.batch.WriteBatch` records their writes, then
commits them in ONE transaction and only then wakes the delivery worker, so nothing is sent
before it is durable. Batches and ticks are serialised by one lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from bot.alerts.batch import WriteBatch
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
        batch: WriteBatch | None = None,
    ) -> None:
        self._batch = batch if batch is not None else WriteBatch(store)
        self._store = self._batch.store  # writes land in the open batch (see module docstring)
        self._lock = asyncio.Lock()
        self._wake_due = False  # something was enqueued in the open batch
        self._tracker = tracker
        self._registrations = registrations
        self._presence = presence
        self._router = router
        self._clock = clock
        self._on_alert = on_alert
        self._bugs_seen: set[type[Exception]] = set()

    async def handle(self, event: PbxEvent) -> None:
        """Apply one PBX event (a batch of one); never raises for bad input or a failing store."""
        await self.handle_many([event])

    async def handle_many(self, events: Sequence[PbxEvent]) -> None:
        """Apply ``events`` in order, commit all their writes in one transaction, then wake the
        delivery worker; never raises for bad input or a failing store."""
        async with self._lock:
            self._batch.open()
            for event in events:
                await self._apply(event)
            await self._commit(f"{len(events)} event(s)")

    async def _apply(self, event: PbxEvent) -> None:
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
        async with self._lock:
            self._batch.open()
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
            await self._commit("tick")

    async def _commit(self, what: str) -> None:
        """Commit the open batch, retrying a store error a few times (back-pressures the link:
        the trackers have decided, so dropping the batch would lose its alerts for good)."""
        for pause in (*ENQUEUE_RETRY_S, None):
            try:
                await self._batch.commit()
            except StorageError as exc:
                if pause is None:
                    logger.error("dropped the writes of %s: %s", what, exc)
                    self._batch.discard()
                    return
                logger.warning("writes of %s not stored yet, retrying in %.1f s: %s", what, pause, exc)
                await asyncio.sleep(pause)
                continue
            if self._wake_due and self._on_alert is not None:
                self._on_alert()  # straight after the commit: the worker reads committed rows
            self._wake_due = False
            return

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
            call_id = update.card.call_id
            if update.finished:
                await self._store.delete_call(call_id)
            elif update.persist:
                await self._save_snapshot(call_id, now)
        self._wake(enqueued)

    async def _save_snapshot(self, call_id: str, now: float) -> None:
        if self._batch.is_open:  # taken once, at commit: one snapshot per call and batch
            self._batch.save_call_at_commit(call_id, lambda: self._tracker.snapshot(call_id), now)
            return
        snapshot = self._tracker.snapshot(call_id)
        if snapshot:
            await self._store.save_call(call_id, snapshot, now)

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

    async def _registration_changes(self, changes: list[RegistrationChange]) -> None:
        if not changes:
            return
        now = self._clock()
        enqueued = 0
        for change in changes:
            enqueued += await self._router.on_registration_change(change, now)
        self._wake(enqueued)

    def _wake(self, enqueued: int) -> None:
        if not enqueued:
            return
        if self._batch.is_open:
            self._wake_due = True  # the commit wakes the worker, once it is durable
        elif self._on_alert is not None:
            self._on_alert()
