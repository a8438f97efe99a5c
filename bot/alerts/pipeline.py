"""The event side of the core, glued: PBX event -> trackers -> store snapshots -> alert router.

Strategy: trackers are pure and decide; this class only sequences the I/O (route first, then
persist, so a crash never loses a missed call, and the outbox dedup keys make a replay harmless)
and wakes the delivery worker. One bad event or a store hiccup is logged and dropped.

Nothing decided is lost: a call update whose alert cannot be stored even after the retries stays
pending (in memory, and as a "decided" snapshot in place of the call's row when the store takes
it) and is routed again on every tick until it is stored; a restart restores pending decisions
from their snapshots, and the per-call dedup keys keep the alert to one per chat.
:class:`~bot.tracking.LinkChange` markers in the event stream tell the tracker about gaps.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from bot.alerts.resolve import FollowUps
from bot.alerts.router import AlertRouter
from bot.domain import CallCard, MissedCall, RegistrationChange, SipUser, alert_from_dict, alert_to_dict
from bot.errors import BotError, StorageError
from bot.events import Blf, PbxEvent, Registration
from bot.ports import Store
from bot.tracking import CallTracker, CallUpdate, LinkChange, Presence, RegistrationTracker

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
        self._retry_s = enqueue_retry_s
        self._pending: dict[str, CallUpdate] = {}  # decided, alert not stored yet (call id ->)

    @property
    def pending(self) -> int:
        """Decided call alerts not stored yet (retried every tick)."""
        return len(self._pending)

    async def handle(self, event: PbxEvent | LinkChange) -> None:
        """Apply one PBX event (or a link gap marker); never raises for bad input or a failing store."""
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
        """Evict stale calls, expire registrations and close flap windows (call every second)."""
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
                enqueued += await self._enqueue_call(update, now)
            except StorageError as exc:
                if update.missed is None:
                    raise
                await self._keep_pending(update, now, exc)
                continue
            if update.finished and self._followups is not None:
                enqueued += await self._follow_up(update, now)
            if update.finished:
                await self._store.delete_call(call_id)
            elif update.persist:
                snapshot = self._tracker.snapshot(call_id)
                if snapshot:
                    await self._store.save_call(call_id, snapshot, now)
        self._wake(enqueued)

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
            await self._store.save_call(call_id, decided, now)
        except StorageError as save_exc:
            logger.warning("decided call %s kept in memory only: %s", call_id, save_exc)

    async def _retry_pending(self, now: float) -> None:
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
        if enqueued and self._on_alert is not None:
            self._on_alert()
