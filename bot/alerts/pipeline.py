"""The event side of the core, glued: PBX event -> trackers -> store snapshots -> alert router.

Strategy: trackers are pure and decide; this class only sequences the I/O (route first, then
persist, so a crash never loses a missed call, and the outbox dedup keys make a replay harmless)
and wakes the delivery worker. One bad event or a store hiccup is logged and dropped.

Nothing decided is lost: a call update whose alert cannot be stored even after the retries stays
pending (in memory, and as a "decided" snapshot in place of the call's row when the store takes
it) and is routed again on every tick until it is stored; a restart restores pending decisions
from their snapshots, and the per-call dedup keys keep the alert to one per chat.
:class:`~bot.tracking.LinkChange` markers in the event stream tell the tracker about gaps.

Group commit: ``handle_many`` applies a batch of events one by one (the per-event logic below is
the same for one event or many) while a :class:`bot.alerts.batch.WriteBatch` records their
writes, then commits them in ONE transaction and only then wakes the delivery worker, so nothing
is sent before it is durable. Short path: the alerts the commit inserted come back from
``Store.apply`` as outbox entries and go straight to ``on_enqueued`` (the delivery worker's
``offer``), so the worker need not read back what was just written; anything else a batch wrote
to the outbox (a card or an alert edited in place) wakes it with ``on_alert`` as before.
Batches and ticks are serialised by one lock. A batch the store refuses even after the retries
is dropped, except its decided missed calls: they become pending like any alert that could not
be stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence

from bot.alerts.batch import WriteBatch
from bot.alerts.resolve import FollowUps
from bot.alerts.router import AlertRouter
from bot.domain import (
    CallCard,
    MissedCall,
    OutboxEntry,
    RegistrationChange,
    SipUser,
    alert_from_dict,
    alert_to_dict,
)
from bot.errors import BotError, StorageError
from bot.events import Blf, PbxEvent, Registration
from bot.ports import Store
from bot.tracking import CallTracker, CallUpdate, LinkChange, Presence, RegistrationTracker
from bot.writes import Enqueue, UpsertCard, Write

logger = logging.getLogger(__name__)

#: pauses between retries of an alert that could not be enqueued (a locked or busy database):
#: the tracker has already decided the call, so dropping it would lose the alert for good
ENQUEUE_RETRY_S = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)
#: setting (Store.get_setting) with the registration tracker's state() as JSON
REGISTRATIONS_KEY = "registrations.state"


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
        enqueue_retry_s: tuple[float, ...] = ENQUEUE_RETRY_S,
        batch: WriteBatch | None = None,
        on_enqueued: Callable[[list[OutboxEntry]], None] | None = None,
    ) -> None:
        self._batch = batch if batch is not None else WriteBatch(store)
        self._store = self._batch.store  # writes land in the open batch (see module docstring)
        self._lock = asyncio.Lock()
        self._wake_due = False  # something was enqueued in the open batch
        self._decided: dict[str, CallUpdate] = {}  # missed verdicts routed into the open batch
        self._tracker = tracker
        self._registrations = registrations
        self._presence = presence
        self._router = router
        self._clock = clock
        self._on_alert = on_alert
        self._on_enqueued = on_enqueued
        self._followups = followups
        self._bugs_seen: set[type[Exception]] = set()
        self._retry_s = enqueue_retry_s
        self._pending: dict[str, CallUpdate] = {}  # decided, alert not stored yet (call id ->)

    @property
    def pending(self) -> int:
        """Decided call alerts not stored yet (retried every tick)."""
        return len(self._pending)

    async def handle(self, event: PbxEvent | LinkChange) -> None:
        """Apply one PBX event or link gap marker (a batch of one); never raises for bad input or
        a failing store."""
        await self.handle_many([event])

    async def handle_many(self, events: Sequence[PbxEvent | LinkChange]) -> None:
        """Apply ``events`` in order, commit all their writes in one transaction, then wake the
        delivery worker; never raises for bad input or a failing store."""
        async with self._lock:
            self._batch.open()
            for event in events:
                await self._apply(event)
            await self._commit(f"{len(events)} event(s)")

    async def _apply(self, event: PbxEvent | LinkChange) -> None:
        try:
            if isinstance(event, LinkChange):
                await self._call_updates(self._tracker.link_up() if event.up else self._tracker.link_down())
            elif isinstance(event, Registration):
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

    def _log_bug(self, event: PbxEvent | LinkChange, exc: Exception) -> None:
        """A built-in error is a bug: drop the event, with the traceback once per exception type."""
        first = type(exc) not in self._bugs_seen
        self._bugs_seen.add(type(exc))
        logger.error("dropped %s event: %s: %s", type(event).__name__, type(exc).__name__, exc,
                     exc_info=exc if first else None)

    async def tick(self) -> None:
        """Retry pending alerts, evict stale calls, expire registrations and close flap windows
        (call every second); one batch."""
        async with self._lock:
            self._batch.open()
            now = self._clock()
            try:
                await self._retry_pending(now)
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
        """Commit the open batch, retrying a store error a few times (back-pressures the link).
        If it still fails, its decided missed calls stay pending (retried every tick)."""
        for pause in (*self._retry_s, None):
            try:
                writes, results = await self._batch.commit()
            except StorageError as exc:
                if pause is None:
                    self._batch.discard()
                    await self._keep_decided(what, exc)
                    return
                logger.warning("writes of %s not stored yet, retrying in %.1f s: %s", what, pause, exc)
                await asyncio.sleep(pause)
                continue
            except Exception as exc:  # a write no store takes (a bug, a value out of range)
                writes, results = await self._commit_each(what, exc)
            for call_id in self._decided:
                if self._pending.pop(call_id, None) is not None:
                    logger.info("alert for call %s stored after a storage failure", call_id)
            self._decided.clear()
            if self._wake_due:
                self._hand_over(writes, results)  # straight after the commit: all durable
            self._wake_due = False
            return

    async def _commit_each(self, what: str, exc: Exception) -> tuple[list[Write], list[OutboxEntry | None]]:
        """The batch as one transaction was refused for a reason retrying cannot fix: store its
        writes one by one, so the bad one costs only itself (the alerts still go out)."""
        first = type(exc) not in self._bugs_seen
        self._bugs_seen.add(type(exc))
        logger.error("writes of %s refused as a whole (%s: %s); storing them one by one", what,
                     type(exc).__name__, exc, exc_info=exc if first else None)
        writes, results, refused = await self._batch.commit_each()
        for op in refused:
            logger.error("dropped a %s write the store refused", type(op).__name__)
        return writes, results

    def _hand_over(self, writes: list[Write], results: list[OutboxEntry | None]) -> None:
        """Give the worker the entries the commit inserted; wake it to read the outbox itself
        when the batch also changed rows it may hold (a card, an alert edited in place). A batch
        whose keys were all known already (a replay) changed nothing: nobody is woken. Outbox
        writes that did not go through the batch (a router wired to the store itself) wake it."""
        fresh = [r for r in results if r is not None]
        outbox = [op for op in writes if isinstance(op, Enqueue | UpsertCard)]
        if fresh and self._on_enqueued is not None:
            self._on_enqueued(fresh)
            fresh = []
        wake = not outbox or bool(fresh) or any(isinstance(op, UpsertCard) for op in outbox)
        if wake and self._on_alert is not None:
            self._on_alert()

    async def _keep_decided(self, what: str, exc: StorageError) -> None:
        decided, self._decided = self._decided, {}
        self._wake_due = False
        logger.error("dropped the writes of %s; %d decided alert(s) kept to retry: %s",
                     what, len(decided), exc)
        now = self._clock()
        for update in decided.values():
            await self._keep_pending(update, now, exc)

    async def restore(self) -> None:
        """Re-track the calls a previous process saved (run once at startup, before events)."""
        snapshots = await self._store.load_calls()
        live = []
        for snap in snapshots:
            if "decided" not in snap:
                live.append(snap)
                continue
            try:
                card, missed = alert_from_dict(snap["card"]), alert_from_dict(snap["decided"])
            except (KeyError, TypeError, ValueError) as exc:
                logger.error("skipping unreadable decided call: %s", exc)
                continue
            if isinstance(card, CallCard) and isinstance(missed, MissedCall):
                self._pending[card.call_id] = CallUpdate(card, missed=missed, finished=True)
        self._tracker.restore(live)
        saved = await self._store.get_setting(REGISTRATIONS_KEY)
        try:
            self._registrations.restore_state(json.loads(saved) if saved else {})
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.error("skipping unreadable registration state: %s", exc)
        self._registrations.dirty = False
        logger.info("restored %d tracked call(s), %d decided alert(s)", len(live), len(self._pending))

    def begin_seed(self) -> None:
        """The link (re)connected: registrations are refreshes until the phone list is in."""
        self._registrations.begin_seed()

    async def seed_users(self, users: list[SipUser]) -> None:
        """Startup/reconnect ``user_list``: registered phones are online (no alert, except those
        alerted offline before, which are back), names known."""
        changes = self._registrations.seed(users, self._clock())
        self._presence.update_users(users)
        try:
            await self._registration_changes(changes)
        except BotError as exc:
            logger.error("phone list alerts failed: %s: %s", type(exc).__name__, exc)

    async def _call_updates(self, updates: list[CallUpdate]) -> None:
        if not updates:
            return
        now = self._clock()
        enqueued = 0
        for update in updates:
            call_id = update.card.call_id
            try:
                if self._router.routes(update, now):  # most updates are legs ringing: skipped
                    enqueued += await self._enqueue_call(update, now)
            except StorageError as exc:
                if update.missed is None:
                    raise
                await self._keep_pending(update, now, exc)
                continue
            if update.missed is not None and self._batch.is_open:
                self._decided[call_id] = update  # stored only once the batch commits
            if update.finished and self._followups is not None:
                enqueued += await self._follow_up(update, now)
            if update.finished:
                await self._store.delete_call(call_id)
            elif update.persist and self._batch.is_open:  # taken once, at commit (one per call)
                self._batch.save_call_at_commit(call_id, self._tracker.snapshot, now)
            elif update.persist:
                await self._save_snapshot(call_id, now)
        self._wake(enqueued)

    async def _save_snapshot(self, call_id: str, now: float) -> None:
        snapshot = self._tracker.snapshot(call_id)
        if snapshot:
            await self._store.save_call(call_id, snapshot, now)

    async def _keep_pending(self, update: CallUpdate, now: float, exc: StorageError) -> None:
        """The alert of a decided call could not be stored: keep it to retry on the next tick, and
        put the decision in place of the call's snapshot (so a restart retries it too)."""
        call_id = update.card.call_id
        logger.error("alert for call %s not stored, retrying every tick: %s", call_id, exc)
        self._pending[call_id] = update
        assert update.missed is not None
        decided = {"call_id": call_id, "card": alert_to_dict(update.card),
                   "decided": alert_to_dict(update.missed)}  # fmt: skip
        try:
            await self._batch.store_direct().save_call(call_id, decided, now)
        except StorageError as save_exc:
            logger.warning("decided call %s kept in memory only: %s", call_id, save_exc)

    async def _retry_pending(self, now: float) -> None:
        """Route pending decisions into the tick's batch; they leave ``_pending`` once it commits
        (without a batch, at once)."""
        enqueued = 0
        for call_id, update in list(self._pending.items()):
            try:
                enqueued += await self._router.on_call_update(update, now)
                await self._store.delete_call(call_id)
                if self._followups is not None:
                    enqueued += await self._follow_up(update, now)
            except StorageError as exc:
                logger.warning("alert for call %s still not stored: %s", call_id, exc)
                break
            if self._batch.is_open:
                self._decided[call_id] = update
            else:
                del self._pending[call_id]
                logger.info("alert for call %s stored after a storage failure", call_id)
        self._wake(enqueued)

    async def _enqueue_call(self, update: CallUpdate, now: float) -> int:
        """Route one call update, retrying a store error a few times (back-pressures the link)."""
        for pause in self._retry_s:
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
        if changes:
            now = self._clock()
            enqueued = 0
            for change in changes:
                enqueued += await self._router.on_registration_change(change, now)
            self._wake(enqueued)
        await self._save_registrations()  # after the alerts: a crash in between re-alerts, never loses

    async def _save_registrations(self) -> None:
        """Keep who was alerted offline and the flapping bookkeeping across a restart."""
        if self._registrations.dirty:
            state = self._registrations.state()
            await self._store.set_setting(REGISTRATIONS_KEY, json.dumps(state, separators=(",", ":")))

    def _wake(self, enqueued: int) -> None:
        if not enqueued:
            return
        if self._batch.is_open:
            self._wake_due = True  # the commit wakes the worker, once it is durable
        elif self._on_alert is not None:
            self._on_alert()
