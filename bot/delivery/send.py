"""The delivery worker's helpers: render a plan, put it on the platform, record it done, and
keep chats whose platform has no sender waiting.

Strategy: a rendering failure is one clear log line and never a dropped alert: a digest falls back
to its head alone, and an alert the renderer cannot show at all goes out as :func:`bare_message`;
marks that the store refused after a successful send are kept in memory and retried before
anything else, so this process never sends the same entry twice.
"""

from __future__ import annotations

import logging

from bot.delivery.plan import Plan
from bot.domain import Alert, ChatRef, ChatSettings, OutboxEntry, OutMessage, Span
from bot.errors import MessageGone, StorageError
from bot.i18n import register, t
from bot.ports import AlertRenderer, ChatSender, Store
from bot.text import flat

logger = logging.getLogger(__name__)


#: marks the message id of alerts posted inside a digest, so an update re-renders the whole digest
DIGEST_PREFIX = "digest:"

register({"delivery.bare": ("⚠️ Alert ({kind}) that could not be shown in full",
                            "⚠️ Уведомление ({kind}), которое не удалось показать полностью")})


def bare_message(alert: Alert, lang: str) -> OutMessage:
    """The last resort for an alert no renderer could show: its kind and caller, plainly."""
    who = flat(getattr(alert, "caller_number", "") or getattr(alert, "ext", ""))
    text = t(lang, "delivery.bare", kind=flat(getattr(alert, "kind", "?"), 20))
    return OutMessage.plain(f"{text}: {who}" if who else text)


async def digest_of(store: Store, plan: Plan, chat: ChatRef) -> list[Alert] | None:
    """An update of an alert that was posted inside a digest (a missed call resolved later):
    the digest's alerts, this one in its new state; None for anything else."""
    head = plan.entries[0]
    if plan.action != "card" or not (head.message_id or "").startswith(DIGEST_PREFIX):
        return None
    members = await store.entries_of_message(chat, head.message_id or "")
    return [head.alert if e.id == head.id else e.alert for e in members] or [head.alert]


def render_plan(
    renderer: AlertRenderer, plan: Plan, settings: ChatSettings, digest: list[Alert] | None = None
) -> tuple[Plan, OutMessage]:
    """The message for ``plan`` (possibly a narrowed plan); when even the head cannot be
    rendered it goes out as :func:`bare_message` (never dropped). ``digest``: the head is edited
    inside the digest it was posted in (see :func:`digest_of`)."""
    try:
        if digest is not None:
            return plan, renderer.render_digest(digest, settings)
        if plan.action == "digest":
            return plan, renderer.render_digest([e.alert for e in plan.entries], settings)
        return plan, renderer.render(plan.entries[0].alert, settings)
    except Exception:
        logger.exception("cannot render %s #%d for %s", plan.action, plan.entries[0].id, settings.chat)
    if plan.action == "digest":
        return render_plan(renderer, Plan("single", plan.entries[:1]), settings)
    return plan, bare_message(plan.entries[0].alert, settings.language)


async def transmit(plan: Plan, message: OutMessage, sender: ChatSender, chat: ChatRef) -> str:
    """Send (or, for a card already posted, edit; a vanished card is posted anew). Returns the
    platform message id the entry now refers to."""
    head = plan.entries[0]
    if plan.action == "card" and head.message_id is not None:
        try:
            await sender.edit(chat, head.message_id.removeprefix(DIGEST_PREFIX), message)
            return head.message_id
        except MessageGone:
            logger.info("card message %s in %s is gone; posting a new one", head.message_id, chat)
            # a follow-up of a missed call: a short reply, not the whole alert (or digest) again
            if head.alert.kind == "missed" or head.message_id.startswith(DIGEST_PREFIX):
                return await sender.send(chat, short_reply(message))
    return await sender.send(chat, message)


def short_reply(message: OutMessage) -> OutMessage:
    """The heading line and the follow-up lines (✅ / ↩) of an alert whose message is gone."""
    lines = message.text.splitlines()
    kept = [lines[0], *(line for line in lines[1:] if line[:1] in ("✅", "↩") or line.endswith(" ✅"))]
    kept = kept if lines else []
    return OutMessage((Span("\n".join(kept)),), message.buttons)


class Ledger:
    """Marks entries delivered; keeps the marks the store refused (the messages WERE sent) and
    retries them first. ``delivered`` counts entries the store has recorded as done."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._unmarked: list[tuple[list[int], str | None, int | None, bool]] = []
        self.delivered = 0

    async def mark(
        self, ids: list[int], message_id: str | None = None, version: int | None = None, *, sent: bool = True
    ) -> None:
        """Record ``ids`` done (``sent=False``: dropped on purpose, not counted as delivered)."""
        try:
            await self._store.mark_delivered(ids, message_id, version)
            self.delivered += len(ids) if sent else 0
        except StorageError as exc:
            logger.warning("cannot mark %d entries done yet (%s); will retry", len(ids), exc)
            self._unmarked.append((ids, message_id, version, sent))

    async def flush(self) -> None:
        """Retry refused marks; raises :class:`StorageError` while the store still refuses."""
        while self._unmarked:
            ids, message_id, version, sent = self._unmarked[0]
            await self._store.mark_delivered(ids, message_id, version)
            self._unmarked.pop(0)
            self.delivered += len(ids) if sent else 0

    def holds(self, entry_id: int) -> bool:
        """True while ``entry_id`` was sent but its mark is not stored yet (do not resend)."""
        return any(entry_id in mark[0] for mark in self._unmarked)


class Orphans:
    """Chats whose platform has no sender: their entries stay pending (rescheduled every
    ``recheck_s`` so they do not crowd the due list; logged once per platform), and come back at
    once when the platform's sender is added."""

    def __init__(self, store: Store, recheck_s: float) -> None:
        self._store = store
        self._recheck = recheck_s
        self._chats: dict[str, set[ChatRef]] = {}
        self._revive: set[ChatRef] = set()

    async def hold(self, chat: ChatRef, pending: list[OutboxEntry], now: float) -> None:
        if chat.platform not in self._chats:
            logger.warning("no sender for platform %r: entries of %s stay pending", chat.platform, chat)
        self._chats.setdefault(chat.platform, set()).add(chat)
        ids = [e.id for e in pending if e.next_attempt_at <= now]
        if ids:
            await self._store.reschedule(ids, now + self._recheck, f"no sender for {chat.platform}")

    def adopt(self, platform: str) -> None:
        """``platform`` has a sender now: its chats are due again at the next ``revive``."""
        self._revive |= self._chats.pop(platform, set())

    async def revive(self, now: float) -> None:
        while self._revive:
            chat = self._revive.pop()
            ids = [e.id for e in await self._store.pending_for_chat(chat)]
            if ids:
                await self._store.reschedule(ids, now, f"sender for {chat.platform} added")
