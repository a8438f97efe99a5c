"""The durable outbox's delivery worker: every alert is in the store before it is sent, and is
marked delivered right after the platform took it (at least once, never twice in the normal path).

Strategy: each pass asks the store which chats have due entries, lets the pure ``plan_chat`` pick
at most one message per chat (paced by ``Pacer``, folded into digests under bursts, held in quiet
hours), sends it, and turns platform errors into reschedules; then it sleeps until the earliest
chat may act again, or until ``wake()``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from bot.backoff import Backoff
from bot.domain import ChatRef, ChatSettings, OutboxEntry, OutMessage
from bot.errors import ChatGone, ChatMigrated, DeliveryError, MessageGone, RetryAfter, StorageError
from bot.outbox_plan import Plan, plan_chat
from bot.pacing import Pacer
from bot.ports import AlertRenderer, ChatSender, Store

logger = logging.getLogger(__name__)


class DeliveryWorker:
    """Delivers the outbox to chats. Drive it with ``run()`` (until ``stop()``) or, in tests, with
    ``deliver_once()`` and a fake clock. Counters for metrics: ``delivered`` (entries done),
    ``messages`` (sends + edits), ``digests``, ``failed_attempts``, ``dropped``."""

    def __init__(
        self,
        store: Store,
        senders: Mapping[str, ChatSender],
        renderer: AlertRenderer,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        digest_threshold: int = 3,
        max_backoff: float = 300.0,
        batch: int = 500,
        idle_poll: float = 60.0,
    ) -> None:
        self._store = store
        self._senders: dict[str, ChatSender] = dict(senders)
        self._renderer = renderer
        self._clock = clock
        self._sleep = sleep
        self._threshold = digest_threshold
        self._max_backoff = max_backoff
        self._backoff = Backoff(base=1.0, factor=2.0, cap=max_backoff)
        self._batch = batch
        self._idle_poll = idle_poll
        self._pacer = Pacer()
        self._wake_at: dict[ChatRef, float] = {}  # when a chat with pending work may act again
        self._unmarked: list[tuple[list[int], str | None, int | None]] = []  # sent, mark failed
        self._orphans: dict[str, set[ChatRef]] = {}  # platform without sender -> its chats
        self._revive: set[ChatRef] = set()
        self._warned: set[tuple[str, str]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._done: asyncio.Event | None = None
        self.next_wake: float | None = None
        self.delivered = self.messages = self.digests = self.failed_attempts = self.dropped = 0

    # control -------------------------------------------------------------------------------
    def wake(self) -> None:
        """New work was enqueued (or a chat became active): look at the outbox now."""
        self._wake.set()

    def add_sender(self, sender: ChatSender) -> None:
        """Register (or replace) the sender of ``sender.platform``; its held chats resume."""
        self._senders[sender.platform] = sender
        self._warned.discard(("no-sender", sender.platform))
        self._revive |= self._orphans.pop(sender.platform, set())
        self.wake()

    async def stop(self) -> None:
        """Ask ``run()`` to return after the send in flight (never cut mid-send); wait for it."""
        self._stopping = True
        self._wake.set()
        if self._done is not None:
            await self._done.wait()

    async def run(self) -> None:
        """Deliver until ``stop()``; a failing store is logged and retried with backoff."""
        self._stopping, self._done, failures = False, asyncio.Event(), 0
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    await self.deliver_once()
                    failures = 0
                    delay = (self.next_wake or 0.0) - self._clock()
                except StorageError as exc:
                    failures += 1
                    delay = self._backoff.peek(failures - 1)
                    logger.warning(
                        "outbox store failed (%s); retry in %.0fs (attempt %d)", exc, delay, failures
                    )
                await self._wait(min(max(delay, 0.0), self._idle_poll))
        finally:
            self._done.set()
            self._done = None

    async def _wait(self, delay: float) -> None:
        if self._wake.is_set():
            return
        sleeper = asyncio.ensure_future(self._sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()

    # one pass ------------------------------------------------------------------------------
    async def deliver_once(self) -> int:
        """One pass over the due chats (at most one message each); returns messages sent or
        edited, and sets ``next_wake`` to when the next pass is worth doing."""
        now = self._clock()
        await self._flush_marks()
        await self._revive_orphans(now)
        due = await self._store.due(now, self._batch)
        served: set[ChatRef] = set()
        sent = 0
        for chat in dict.fromkeys(e.chat for e in due):
            served.add(chat)
            sent += await self._serve(chat, now, hops=1)
        more = len(due) >= self._batch and sent > 0
        self.next_wake = await self._next_wake(now, served, more)
        return sent

    async def _next_wake(self, now: float, served: set[ChatRef], more: bool) -> float:
        for chat, at in list(self._wake_at.items()):
            if at <= now and chat not in served:
                del self._wake_at[chat]  # stale: the chat was not due after all
        candidates = [*self._wake_at.values(), now + self._idle_poll]
        due_at = await self._store.next_due_at()
        if due_at is not None and due_at > now:
            candidates.append(due_at)
        if more:
            candidates.append(now)
        return min(candidates)

    async def _serve(self, chat: ChatRef, now: float, hops: int) -> int:
        self._wake_at.pop(chat, None)
        sender = self._senders.get(chat.platform)
        pending = [e for e in await self._store.pending_for_chat(chat) if not self._is_unmarked(e.id)]
        if sender is None:
            await self._orphan(chat, pending, now)
            return 0
        settings = await self._settings(chat)
        if not settings.active:
            return 0
        limits = sender.limits_for(chat)
        plan = plan_chat(
            pending,
            settings=settings,
            now=now,
            slot=self._pacer.next_slot(chat, limits, now),
            remaining=self._pacer.remaining(chat, limits, now),
            threshold=self._threshold,
        )
        return await self._execute(plan, pending, sender, settings, now, hops)

    async def _execute(
        self, plan: Plan, pending: list[OutboxEntry], sender: ChatSender, settings: ChatSettings,
        now: float, hops: int,
    ) -> int:
        chat = settings.chat
        if plan.action == "idle":
            return 0
        if plan.action == "wait":
            self._wake_at[chat] = plan.until
        elif plan.action == "hold":
            if plan.entries:
                await self._store.reschedule([e.id for e in plan.entries], plan.until, plan.reason)
            self._wake_at[chat] = plan.until
        elif plan.action == "drop":
            logger.info("card #%d for %s ended during quiet hours; not posted", plan.entries[0].id, chat)
            await self._mark([plan.entries[0].id], None, plan.entries[0].version)
            self.dropped += 1
            self._wake_at[chat] = now
        else:
            return await self._attempt(plan, pending, sender, settings, now, hops)
        return 0

    # sending -------------------------------------------------------------------------------
    async def _attempt(
        self, plan: Plan, pending: list[OutboxEntry], sender: ChatSender, settings: ChatSettings,
        now: float, hops: int,
    ) -> int:
        chat, head = settings.chat, plan.entries[0]
        plan, message = self._render(plan, settings)
        if message is None:
            return 0
        self._pacer.record(chat, now)
        try:
            message_id = await self._transmit(plan, message, sender, chat)
        except RetryAfter as exc:
            return await self._failed(pending, chat, now + exc.seconds, str(exc))
        except ChatMigrated as exc:
            return await self._migrated(chat, exc.new_chat_id, now, hops)
        except ChatGone:
            return await self._gone(settings, len(pending))
        except DeliveryError as exc:
            return await self._failed(pending, chat, now + self._delay(head), str(exc))
        except Exception as exc:  # a sender bug: log once per chat and kind, retry as transient
            self._log_unexpected(chat, head, exc)
            return await self._failed(pending, chat, now + self._delay(head), type(exc).__name__)
        if plan.action == "card":
            await self._mark([head.id], message_id, head.version)
        else:
            await self._mark([e.id for e in plan.entries], None, None)
        self.messages += 1
        self.digests += plan.action == "digest"
        if plan.action == "digest":
            logger.info("digest of %d alerts sent to %s", len(plan.entries), chat)
        if len(pending) > len(plan.entries):
            self._wake_at[chat] = self._pacer.next_slot(chat, sender.limits_for(chat), now)
        return 1

    def _render(self, plan: Plan, settings: ChatSettings) -> tuple[Plan, OutMessage | None]:
        """Render; a renderer failure drops the entry with a clear log line (a digest falls back
        to its head alert alone) instead of blocking the chat forever."""
        try:
            if plan.action == "digest":
                return plan, self._renderer.render_digest([e.alert for e in plan.entries], settings)
            return plan, self._renderer.render(plan.entries[0].alert, settings)
        except Exception:
            logger.exception("cannot render %s #%d for %s", plan.action, plan.entries[0].id, settings.chat)
        if plan.action == "digest":
            return self._render(Plan("single", plan.entries[:1]), settings)
        self._unmarked.append(([plan.entries[0].id], None, None))  # dropped at the next flush
        self.dropped += 1
        return plan, None

    async def _transmit(self, plan: Plan, message: OutMessage, sender: ChatSender, chat: ChatRef) -> str:
        head = plan.entries[0]
        if plan.action == "card" and head.message_id is not None:
            try:
                await sender.edit(chat, head.message_id, message)
                return head.message_id
            except MessageGone:
                logger.info("card message %s in %s is gone; posting a new one", head.message_id, chat)
        return await sender.send(chat, message)

    def _delay(self, head: OutboxEntry) -> float:
        return min(self._max_backoff, self._backoff.peek(head.attempts))

    # outcomes ------------------------------------------------------------------------------
    async def _failed(self, pending: list[OutboxEntry], chat: ChatRef, until: float, error: str) -> int:
        """The chat waits until ``until``: all its entries, so nothing newer overtakes the head."""
        self.failed_attempts += 1
        ids = [e.id for e in pending if e.next_attempt_at < until]
        await self._store.reschedule(ids, until, error)
        self._wake_at[chat] = until
        logger.warning("delivery to %s failed (%s); %d entries retry at +%.0fs", chat, error, len(ids),
                       until - self._clock())
        return 0

    async def _migrated(self, old: ChatRef, new_id: str, now: float, hops: int) -> int:
        new = ChatRef(old.platform, new_id)
        self.failed_attempts += 1
        logger.info("chat %s migrated to %s; moving its outbox", old, new)
        await self._store.migrate_chat(old, new)
        if hops <= 0 or new == old:
            self._wake_at[new] = now
            return 0
        return await self._serve(new, now, hops - 1)

    async def _gone(self, settings: ChatSettings, kept: int) -> int:
        self.failed_attempts += 1
        await self._store.update_chat(replace(settings, active=False))
        logger.warning("chat %s is gone (bot removed or blocked); marked inactive, %d entries kept",
                       settings.chat, kept)
        return 0

    async def _orphan(self, chat: ChatRef, pending: list[OutboxEntry], now: float) -> None:
        """No sender for the platform: entries stay pending (rescheduled so they do not crowd the
        due list); ``add_sender`` brings them back at once."""
        self._orphans.setdefault(chat.platform, set()).add(chat)
        if ("no-sender", chat.platform) not in self._warned:
            self._warned.add(("no-sender", chat.platform))
            logger.warning("no sender for platform %r: entries of %s stay pending", chat.platform, chat)
        ids = [e.id for e in pending if e.next_attempt_at <= now]
        if ids:
            await self._store.reschedule(ids, now + self._max_backoff, f"no sender for {chat.platform}")

    async def _revive_orphans(self, now: float) -> None:
        while self._revive:
            chat = self._revive.pop()
            ids = [e.id for e in await self._store.pending_for_chat(chat)]
            if ids:
                await self._store.reschedule(ids, now, f"sender for {chat.platform} added")

    # store helpers -------------------------------------------------------------------------
    async def _settings(self, chat: ChatRef) -> ChatSettings:
        settings = await self._store.get_chat(chat)
        if settings is None:  # the router ensures chats first; be tolerant of one that did not
            logger.warning("outbox has entries for unknown chat %s; registering it", chat)
            base = ChatSettings(chat)
            settings = await self._store.ensure_chat(
                chat, title="", language=base.language, timezone=base.timezone
            )
        return settings

    async def _mark(self, ids: list[int], message_id: str | None, version: int | None) -> None:
        """Mark delivered; if the store fails, remember it (the message WAS sent) and retry the
        mark before anything else, so the entry is not sent twice by this process."""
        try:
            await self._store.mark_delivered(ids, message_id, version)
            self.delivered += len(ids)
        except StorageError as exc:
            logger.warning("sent, but cannot mark %d entries delivered yet (%s)", len(ids), exc)
            self._unmarked.append((ids, message_id, version))

    async def _flush_marks(self) -> None:
        while self._unmarked:
            ids, message_id, version = self._unmarked[0]
            await self._store.mark_delivered(ids, message_id, version)  # StorageError: run() waits
            self._unmarked.pop(0)
            self.delivered += len(ids)

    def _is_unmarked(self, entry_id: int) -> bool:
        return any(entry_id in ids for ids, _, _ in self._unmarked)

    def _log_unexpected(self, chat: ChatRef, head: OutboxEntry, exc: Exception) -> None:
        key = (str(chat), type(exc).__name__)
        if key in self._warned:
            logger.warning("sender for %s failed again with %s (entry #%d)", chat, key[1], head.id)
            return
        self._warned.add(key)
        logger.error("sender for %s raised unexpected %s on entry #%d; treating it as transient",
                     chat, key[1], head.id, exc_info=exc)
