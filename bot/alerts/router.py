"""Alert routing: which chats get a missed call, a registration change or a live call card.

Strategy: chat settings and bindings are read through a short cache (default 0.5 s, so a bind
or a settings change takes effect within a second), each as one read of the whole table (a
few hundred rows at most), so an alert for an extension seen for the first time costs no read;
every alert goes to the durable outbox with a per-call-per-chat dedup key, which makes it exactly
once per chat, across restarts too.
"""

from __future__ import annotations

import logging

from bot.domain import CallCard, ChatRef, ChatSettings, MissedCall, RegistrationChange
from bot.ports import Store
from bot.tracking import CallUpdate

logger = logging.getLogger(__name__)


def missed_key(call_id: str, chat: ChatRef) -> str:
    """The outbox dedup key of a call's missed (or uncertain) alert in ``chat``: ``missed:`` +
    the tracker's call id (the inbound A-leg uuid, ``MissedCall.call_id``) + ``:`` + the chat."""
    return f"missed:{call_id}:{chat}"


class AlertRouter:
    """Turns tracker output into outbox entries; returns how many were enqueued or updated."""

    def __init__(self, store: Store, *, cache_ttl_s: float = 0.5) -> None:
        self._store = store
        self._ttl = cache_ttl_s
        self._settings: dict[ChatRef, ChatSettings] = {}
        self._settings_at: float | None = None
        self._watching = False  # any active chat with alert_calls
        self._bound: dict[str, list[ChatRef]] = {}
        self._bound_at: float | None = None

    def invalidate(self) -> None:
        """Forget cached settings and bindings (call after a bind/unbind/settings change)."""
        self._settings_at = None
        self._bound_at = None

    def routes(self, update: CallUpdate, now: float) -> bool:
        """False when :meth:`on_call_update` would surely do nothing with ``update`` (no verdict,
        not over, and no chat shows live call cards): most updates are legs ringing, and the
        pipeline then skips the call (#14). Conservative: True while the settings are stale."""
        if update.missed is not None or update.finished:
            return True
        return update.card_changed and (self._watching or not self._fresh(self._settings_at, now))

    async def on_call_update(self, update: CallUpdate, now: float) -> int:
        count = 0
        if update.missed is not None:
            count += await self._route_missed(update.missed, now)
        if update.card_changed and update.card.extensions:
            await self._chat_settings(now)  # refreshes _watching when the cache is stale
            if self._watching:
                count += await self._route_card(update.card, now)
        return count

    async def on_registration_change(self, change: RegistrationChange, now: float) -> int:
        settings = await self._chat_settings(now)
        count = 0
        for chat in await self._chats_of(change.ext, now):
            s = settings.get(chat)
            if s is None or not s.active or not s.alert_registration:
                continue
            key = f"reg:{change.ext}:{int(change.online)}:{change.at_ms}:{chat}"
            count += await self._store.enqueue(key, chat, change, now)
        return count

    async def _route_missed(self, missed: MissedCall, now: float) -> int:
        count = 0
        for chat in await self.missed_targets(missed, now):
            count += await self._store.enqueue(missed_key(missed.call_id, chat), chat, missed, now)
        if count:
            logger.info("missed call %s: %d alert(s) queued", missed.call_id, count)
        return count

    async def missed_targets(self, missed: MissedCall, now: float) -> list[ChatRef]:
        """The active chats that want an alert for ``missed`` (bound to a ringing extension, or
        watching every missed call), each once."""
        settings = await self._chat_settings(now)

        def wants(s: ChatSettings | None, flag: str) -> bool:
            return (
                s is not None
                and s.active
                and bool(getattr(s, flag))
                and (not missed.internal or s.alert_internal)
            )

        targets: dict[ChatRef, None] = {}
        for ext in missed.extensions:
            for chat in await self._chats_of(ext, now):
                if wants(settings.get(chat), "alert_missed"):
                    targets[chat] = None
        for chat, s in settings.items():
            if wants(s, "alert_all_missed"):
                targets[chat] = None
        return list(targets)

    async def _route_card(self, card: CallCard, now: float) -> int:
        settings = await self._chat_settings(now)
        targets: dict[ChatRef, None] = {}
        for ext in card.extensions:
            for chat in await self._chats_of(ext, now):
                s = settings.get(chat)
                if s is not None and s.active and s.alert_calls:
                    targets[chat] = None
        for chat in targets:
            await self._store.upsert_card(f"card:{card.call_id}:{chat}", chat, card, now)
        return len(targets)

    def _fresh(self, at: float | None, now: float) -> bool:
        return at is not None and 0 <= now - at < self._ttl

    async def _chat_settings(self, now: float) -> dict[ChatRef, ChatSettings]:
        if not self._fresh(self._settings_at, now):
            self._settings = {s.chat: s for s in await self._store.list_chats()}
            self._settings_at = now
            self._watching = any(s.alert_calls and s.active for s in self._settings.values())
        return self._settings

    async def _chats_of(self, ext: str, now: float) -> list[ChatRef]:
        if not self._fresh(self._bound_at, now):
            self._bound = await self._store.bindings()
            self._bound_at = now
        return self._bound.get(ext, [])
