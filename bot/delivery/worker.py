"""The durable outbox's delivery worker: every alert is in the store before it is sent, and is
marked delivered right after the platform took it (at least once, never twice in the normal path).

Strategy: each pass asks the store which chats have due entries, lets the pure ``plan_chat`` pick
at most one message per chat (paced by ``Pacer``, folded into digests under bursts, held in quiet
hours), sends it, and turns platform errors into reschedules; then it sleeps until the earliest
chat may act again, or until ``wake()``.

Short path (#14): the event pipeline hands over the entries its commit just inserted
(``offer``). When the outbox holds exactly those undelivered entries (one id-only query on an
index says so) and nobody announced other changes (``wake``) since the last full pass, the pass
serves them as they are, without reading back what was just written; anything else (other rows
pending, a chat waiting for its pace or a retry, an entry already gone) makes it a full pass,
which reads everything from the store as before. Either way each entry is sent once: it is
marked delivered in the store before the pass ends, and a later pass sees it done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from bot.backoff import Backoff
from bot.delivery.loop import PassLoop
from bot.delivery.pacing import Pacer
from bot.delivery.plan import Plan, plan_chat
from bot.delivery.send import DIGEST_PREFIX, Ledger, Orphans, digest_of, render_plan, transmit
from bot.domain import ChatRef, ChatSettings, OutboxEntry
from bot.errors import ChatGone, ChatMigrated, DeliveryError, RetryAfter
from bot.ports import AlertRenderer, ChatSender, Store
from bot.supervise import TaskHealth

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Turn:
    """One chat's turn in a pass: what the handlers of its outcome need."""

    settings: ChatSettings
    sender: ChatSender
    pending: list[OutboxEntry]
    now: float
    hops: int  # migrations we may still follow in this pass

    @property
    def chat(self) -> ChatRef:
        return self.settings.chat


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
        health: TaskHealth | None = None,
    ) -> None:
        self._store = store
        self._senders: dict[str, ChatSender] = dict(senders)
        self._renderer = renderer
        self._clock = clock
        self._threshold = digest_threshold
        self._max_backoff = max_backoff
        self._backoff = Backoff(base=1.0, factor=2.0, cap=max_backoff)
        self._batch = batch
        self._idle_poll = idle_poll
        self._pacer = Pacer()
        self._wake_at: dict[ChatRef, float] = {}  # when a chat with pending work may act again
        self._ledger = Ledger(store)
        self._orphans = Orphans(store, max_backoff)
        self._warned: set[tuple[str, str]] = set()  # (chat, exception type) logged in full
        self._loop = PassLoop(
            self._pass, clock=clock, sleep=sleep, idle_poll_s=idle_poll, backoff=self._backoff,
            health=health,
        )
        self.next_wake: float | None = None
        self.messages = self.digests = self.failed_attempts = self.dropped = 0
        self._offered: list[OutboxEntry] = []  # handed over by the pipeline since the last pass
        self._stale = True  # something changed the outbox unannounced: the next pass reads it all
        self.short_passes = 0  # passes that served handed-over entries without reading them back

    @property
    def delivered(self) -> int:
        """Outbox entries recorded as delivered (a digest counts every alert it covers)."""
        return self._ledger.delivered

    # control -------------------------------------------------------------------------------
    def wake(self) -> None:
        """New work was enqueued (or a chat became active): look at the outbox now."""
        self._stale = True
        self._loop.wake()

    def offer(self, entries: Sequence[OutboxEntry]) -> None:
        """``entries`` were just committed (``Store.apply``'s results): deliver them now,
        without reading them back when nothing else is pending (see module docstring). More
        than a pass takes (a worker busy or stopped) are forgotten: the store has them."""
        if len(self._offered) + len(entries) > self._batch:
            self._offered = []
            self._stale = True
        else:
            self._offered.extend(entries)
        self._loop.wake()

    def add_sender(self, sender: ChatSender) -> None:
        """Register (or replace) the sender of ``sender.platform``; its held chats resume."""
        self._senders[sender.platform] = sender
        self._orphans.adopt(sender.platform)
        self.wake()

    async def run(self) -> None:
        """Deliver until ``stop()``; a failing store is logged and retried with backoff."""
        await self._loop.run()

    async def stop(self) -> None:
        """Make ``run()`` return after the send in flight (never cut mid-send); waits for it."""
        await self._loop.stop()

    async def _pass(self) -> float:
        await self.deliver_once()
        return self.next_wake if self.next_wake is not None else self._clock()

    # one pass ------------------------------------------------------------------------------
    async def deliver_once(self) -> int:
        """One pass over the due chats (at most one message each); returns messages sent or
        edited, and sets ``next_wake`` to when the next pass is worth doing."""
        now = self._clock()
        offered, self._offered = self._offered, []
        await self._ledger.flush()
        await self._orphans.revive(now)
        if offered and not self._stale and not self._wake_at:
            sent = await self._short_pass(offered, now)
            if sent is not None:
                return sent
        self._stale = False  # a wake() from here on comes after this pass's reads
        due = await self._store.due(now, self._batch)
        served: set[ChatRef] = set()
        sent = 0
        for chat in dict.fromkeys(e.chat for e in due):
            served.add(chat)
            sent += await self._serve(chat, now, hops=1)
        more = len(due) >= self._batch and sent > 0
        self.next_wake = await self._next_wake(now, served, more)
        return sent

    async def _short_pass(self, offered: list[OutboxEntry], now: float) -> int | None:
        """Serve ``offered`` as handed over, if they are all the outbox holds; None: they are
        not (or not all due yet), so the caller makes a full pass."""
        if len(offered) >= self._batch or any(e.next_attempt_at > now for e in offered):
            return None
        ids = {e.id for e in offered}
        if set(await self._store.undelivered_ids(len(ids) + 1)) != ids:
            return None
        by_chat: dict[ChatRef, list[OutboxEntry]] = {}
        for entry in sorted(offered, key=lambda e: e.id):
            by_chat.setdefault(entry.chat, []).append(entry)
        self.short_passes += 1
        sent = 0
        for chat, pending in by_chat.items():
            sent += await self._serve(chat, now, hops=1, pending=pending)
        self.next_wake = await self._next_wake(now, set(by_chat), more=False)
        return sent

    async def _next_wake(self, now: float, served: set[ChatRef], more: bool) -> float:
        for chat, at in list(self._wake_at.items()):
            if at <= now and chat not in served:
                del self._wake_at[chat]  # stale: the chat was not due after all
        candidates = list(self._wake_at.values())
        due_at = await self._store.next_due_at()
        if due_at is not None and due_at > now:
            candidates.append(due_at)
        if more:
            candidates.append(now)
        return min(candidates, default=now + self._idle_poll)  # run() also caps sleeps at that

    async def _serve(
        self, chat: ChatRef, now: float, hops: int, pending: list[OutboxEntry] | None = None
    ) -> int:
        """One chat's turn; ``pending``: its undelivered entries when already known (the short
        path), else read from the store."""
        self._wake_at.pop(chat, None)
        sender = self._senders.get(chat.platform)
        if pending is None:
            pending = await self._store.pending_for_chat(chat)
        pending = [e for e in pending if not self._ledger.holds(e.id)]
        if sender is None:
            await self._orphans.hold(chat, pending, now)
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
        turn = _Turn(settings, sender, pending, now, hops)
        if plan.action in ("card", "single", "digest"):
            return await self._attempt(plan, turn)
        await self._settle(plan, turn)
        return 0

    async def _settle(self, plan: Plan, turn: _Turn) -> None:
        """Plans that send nothing: wait for pacing, hold (reschedule), drop a stale card."""
        if plan.action == "idle":
            return
        if plan.action == "hold" and plan.entries:
            await self._store.reschedule([e.id for e in plan.entries], plan.until, plan.reason)
        if plan.action == "drop":
            head = plan.entries[0]
            logger.info("dropping #%d for %s: %s", head.id, turn.chat, plan.reason)
            await self._ledger.mark([head.id], None, head.version, sent=False)
            self.dropped += 1
        self._wake_at[turn.chat] = turn.now if plan.action == "drop" else plan.until

    # sending -------------------------------------------------------------------------------
    async def _attempt(self, plan: Plan, turn: _Turn) -> int:
        chat, head = turn.chat, plan.entries[0]
        digest = await digest_of(self._store, plan, chat)
        plan, message = render_plan(self._renderer, plan, turn.settings, digest)  # never drops
        self._pacer.record(chat, turn.now)
        try:
            message_id = await transmit(plan, message, turn.sender, chat)
        except RetryAfter as exc:  # counted from the 429's arrival: an SDK retry or the platform's
            # own pacing may already have slept inside this turn
            return await self._failed(turn, max(turn.now, self._clock()) + exc.seconds, str(exc))
        except ChatMigrated as exc:
            return await self._migrated(chat, exc.new_chat_id, turn.now, turn.hops)
        except ChatGone:
            return await self._gone(turn)
        except DeliveryError as exc:
            return await self._failed(turn, turn.now + self._delay(head), str(exc))
        except Exception as exc:  # a sender bug: log once per chat and kind, retry as transient
            self._log_unexpected(chat, head, exc)
            return await self._failed(turn, turn.now + self._delay(head), type(exc).__name__)
        if plan.action in ("card", "single"):  # remembered, so a later update edits the message
            await self._ledger.mark([head.id], message_id, head.version)
        else:  # a digest: its alerts remember the message, so a later update edits the digest
            await self._ledger.mark([e.id for e in plan.entries], DIGEST_PREFIX + message_id)
        self.messages += 1
        if plan.action == "digest":
            self.digests += 1
            logger.info("digest of %d alerts sent to %s", len(plan.entries), chat)
        if len(turn.pending) > len(plan.entries):
            self._wake_at[chat] = self._pacer.next_slot(chat, turn.sender.limits_for(chat), turn.now)
        return 1

    def _delay(self, head: OutboxEntry) -> float:
        return min(self._max_backoff, self._backoff.peek(head.attempts))

    # outcomes ------------------------------------------------------------------------------
    async def _failed(self, turn: _Turn, until: float, error: str) -> int:
        """The chat waits until ``until``: all its entries, so nothing newer overtakes the head."""
        self.failed_attempts += 1
        ids = [e.id for e in turn.pending if e.next_attempt_at < until]
        await self._store.reschedule(ids, until, error)
        self._wake_at[turn.chat] = until
        logger.warning(
            "delivery to %s failed (%s); %d entries retry in %.0fs",
            turn.chat, error, len(ids), until - turn.now,
        )
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

    async def _gone(self, turn: _Turn) -> int:
        self.failed_attempts += 1
        await self._store.update_chat(replace(turn.settings, active=False))
        logger.warning(
            "chat %s is gone (bot removed or blocked); marked inactive, %d entries kept",
            turn.chat, len(turn.pending),
        )
        return 0

    # helpers -------------------------------------------------------------------------------
    async def _settings(self, chat: ChatRef) -> ChatSettings:
        settings = await self._store.get_chat(chat)
        if settings is None:  # the router ensures chats first; be tolerant of one that did not
            logger.warning("outbox has entries for unknown chat %s; registering it", chat)
            base = ChatSettings(chat)
            settings = await self._store.ensure_chat(
                chat, title="", language=base.language, timezone=base.timezone
            )
        return settings

    def _log_unexpected(self, chat: ChatRef, head: OutboxEntry, exc: Exception) -> None:
        key = (str(chat), type(exc).__name__)
        if key in self._warned:
            logger.warning("sender for %s failed again with %s (entry #%d)", chat, key[1], head.id)
            return
        self._warned.add(key)
        logger.error("sender for %s raised unexpected %s on entry #%d; treating it as transient",
                     chat, key[1], head.id, exc_info=exc)
