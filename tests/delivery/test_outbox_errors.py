"""Delivery worker under platform and storage errors: nothing dropped, nothing sent twice."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.delivery.worker import DeliveryWorker
from bot.domain import Alert, ChatRef, ChatSettings, OutMessage
from bot.errors import ChatGone, ChatMigrated, DeliveryError, RetryAfter, StorageError
from storage.memory import MemoryStore
from tests.delivery.fakes import T0, FakeClock, FakeRenderer, RecordingSender, covered, drive, missed

GROUP = ChatRef("telegram", "-1001")
OTHER = ChatRef("telegram", "-1002")


async def new_store(*chats: ChatRef) -> MemoryStore:
    store = MemoryStore()
    for chat in chats:
        await store.ensure_chat(chat, title="t", language="en", timezone="UTC")
    return store


def worker_for(store: Any, clock: FakeClock, sender: RecordingSender, **kw: Any) -> DeliveryWorker:
    senders = {sender.platform: sender}
    return DeliveryWorker(store, senders, FakeRenderer(), clock=clock, sleep=clock.sleep, **kw)


async def test_retry_after_pauses_only_that_chat_then_delivers_once() -> None:
    store, clock = await new_store(GROUP, OTHER), FakeClock()
    sender = RecordingSender(clock=clock)
    await store.enqueue("g", GROUP, missed(1), clock.now)
    await store.enqueue("o", OTHER, missed(2), clock.now)
    sender.script(RetryAfter(5))
    worker = worker_for(store, clock, sender)
    await worker.deliver_once()
    assert [s.chat for s in sender.delivered] == [OTHER]  # the other chat went on
    assert worker.next_wake == pytest.approx(T0 + 5)
    clock.now = T0 + 4.9
    await store.enqueue("g2", GROUP, missed(3), clock.now)  # newer: must not overtake
    await worker.deliver_once()
    assert [s.chat for s in sender.delivered] == [OTHER]
    await drive(worker, clock, T0 + 60)
    assert [s.text for s in sender.to(GROUP)] == ["missed:c1", "missed:c3"]
    assert sender.to(GROUP)[0].at == pytest.approx(T0 + 5)
    assert worker.failed_attempts == 1 and worker.delivered == 3


async def test_5xx_for_a_minute_then_recovery_delivers_all_once_in_order() -> None:
    store, clock = await new_store(GROUP, OTHER), FakeClock()
    sender = RecordingSender(clock=clock)
    sender.outage = lambda chat, now: DeliveryError("HTTP 502") if now < T0 + 60 else None
    worker = worker_for(store, clock, sender, max_backoff=20.0)
    expected: dict[ChatRef, list[str]] = {GROUP: [], OTHER: []}
    n = 0
    for second in range(0, 90, 7):  # alerts keep coming during and after the outage
        clock.now = max(clock.now, T0 + second)
        for chat in (GROUP, OTHER):
            await store.enqueue(f"k{n}", chat, missed(n), clock.now)
            expected[chat].append(f"c{n}")
            n += 1
        await drive(worker, clock, T0 + second + 6.9)
    await drive(worker, clock, T0 + 200)
    for chat in (GROUP, OTHER):
        assert covered(sender.to(chat)) == expected[chat]  # each once, in order
    assert await store.outbox_depth() == 0
    assert sender.delivered[0].at >= T0 + 60
    assert sender.delivered[0].at <= T0 + 60 + 20  # backoff capped at max_backoff
    assert sender.delivered[-1].at == T0 + 84  # after recovery, alerts go out as they come
    failed = [a for a in sender.attempts if a[2] < T0 + 60]
    assert 5 <= len(failed) <= 30  # exponential backoff, not a retry storm
    assert worker.failed_attempts == len(failed)


async def test_chat_gone_marks_inactive_and_keeps_outbox_until_it_returns() -> None:
    store, clock = await new_store(GROUP), FakeClock()
    sender = RecordingSender(clock=clock)
    await store.enqueue("a", GROUP, missed(1), clock.now)
    await store.enqueue("b", GROUP, missed(2), clock.now)
    sender.script(ChatGone("bot was kicked"))
    worker = worker_for(store, clock, sender)
    await drive(worker, clock, T0 + 100)
    settings = await store.get_chat(GROUP)
    assert settings is not None and not settings.active
    assert [e.dedup_key for e in await store.pending_for_chat(GROUP)] == ["a", "b"]
    assert sender.delivered == [] and len(sender.attempts) == 1  # no more tries
    await store.ensure_chat(GROUP, title="t", language="en", timezone="UTC")  # bot added back
    worker.wake()
    await drive(worker, clock, clock.now + 10)
    assert covered(sender.delivered) == ["c1", "c2"]


async def test_migration_moves_outbox_and_delivers_to_new_id() -> None:
    store, clock = await new_store(GROUP), FakeClock()
    sender = RecordingSender(clock=clock)
    await store.enqueue("a", GROUP, missed(1), clock.now)
    sender.script(ChatMigrated("-100777"))
    worker = worker_for(store, clock, sender)
    assert await worker.deliver_once() == 1
    new = ChatRef("telegram", "-100777")
    assert [(s.chat, s.text) for s in sender.delivered] == [(new, "missed:c1")]
    assert await store.pending_for_chat(GROUP) == [] and await store.pending_for_chat(new) == []
    assert await store.get_chat(new) is not None and await store.get_chat(GROUP) is None


async def test_unexpected_sender_exception_is_logged_once_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    store, clock = await new_store(GROUP), FakeClock()
    sender = RecordingSender(clock=clock)
    sender.script(ValueError("sdk bug"), ValueError("sdk bug"))
    await store.enqueue("a", GROUP, missed(1), clock.now)
    worker = worker_for(store, clock, sender)
    await drive(worker, clock, T0 + 60)
    assert [s.text for s in sender.delivered] == ["missed:c1"]
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and "unexpected ValueError" in tracebacks[0].getMessage()


class FlakyStore(MemoryStore):
    """A MemoryStore whose ``mark_delivered``/``due`` fail while ``broken`` names them."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: set[str] = set()

    async def mark_delivered(self, ids: list[int], message_id: str | None = None,
                             version: int | None = None) -> None:
        if "mark" in self.broken:
            raise StorageError("database is locked")
        await super().mark_delivered(ids, message_id, version)

    async def due(self, now: float, limit: int = 100) -> list[Any]:
        if "due" in self.broken:
            raise StorageError("database is locked")
        return await super().due(now, limit)


async def test_storage_failure_after_send_does_not_send_twice() -> None:
    store, clock = FlakyStore(), FakeClock()
    await store.ensure_chat(GROUP, title="t", language="en", timezone="UTC")
    await store.enqueue("a", GROUP, missed(1), clock.now)
    sender = RecordingSender(clock=clock)
    worker = worker_for(store, clock, sender)
    store.broken = {"mark"}
    await worker.deliver_once()
    clock.now += 5
    with pytest.raises(StorageError):  # run() logs this and retries with backoff
        await worker.deliver_once()
    store.broken = set()
    await drive(worker, clock, clock.now + 30)
    assert [s.text for s in sender.delivered] == ["missed:c1"]
    assert await store.outbox_depth() == 0 and worker.delivered == 1


@pytest.mark.timeout(10)
async def test_run_keeps_going_through_a_storage_outage(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    store, clock = FlakyStore(), FakeClock()
    await store.ensure_chat(GROUP, title="t", language="en", timezone="UTC")
    await store.enqueue("a", GROUP, missed(1), clock.now)
    sender = RecordingSender(clock=clock)
    worker = worker_for(store, clock, sender)
    store.broken = {"due"}
    task = asyncio.create_task(worker.run())
    await clock.wait_sleeps(4)  # four failed passes, each followed by a backoff sleep
    store.broken = set()
    await sender.wait_delivered(1)
    await worker.stop()
    await asyncio.wait_for(task, 1)
    assert clock.slept[:4] == [1.0, 2.0, 4.0, 8.0]
    assert [s.text for s in sender.delivered] == ["missed:c1"]
    assert sum("outbox pass failed" in r.getMessage() for r in caplog.records) >= 4


class PickyRenderer(FakeRenderer):
    """Cannot render call "c2" alone, nor any digest (a renderer bug, in miniature)."""

    def render(self, alert: Alert, chat: ChatSettings) -> OutMessage:
        if getattr(alert, "call_id", "") == "c2":
            raise KeyError("missing translation")
        return super().render(alert, chat)

    def render_digest(self, alerts: list[Alert], chat: ChatSettings) -> OutMessage:
        raise KeyError("missing translation")


async def test_render_failure_sends_the_alert_plainly_loudly_and_the_chat_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, clock = await new_store(GROUP), FakeClock()
    sender = RecordingSender(clock=clock)
    for n in (1, 2, 3):
        await store.enqueue(f"k{n}", GROUP, missed(n), clock.now)
    worker = DeliveryWorker(store, {"telegram": sender}, PickyRenderer(), clock=clock, sleep=clock.sleep)
    await drive(worker, clock, T0 + 30)
    texts = [s.text for s in sender.delivered]
    assert texts[0] == "missed:c1" and texts[2] == "missed:c3"
    assert "could not be shown in full" in texts[1] and missed(2).caller_number in texts[1]  # never dropped
    assert worker.dropped == 0 and await store.outbox_depth() == 0
    assert any("cannot render single #2" in r.getMessage() for r in caplog.records)
    await store.enqueue("k4", GROUP, missed(4), clock.now)
    for n in (5, 6, 7):
        await store.enqueue(f"k{n}", GROUP, missed(n), clock.now)
    await drive(worker, clock, clock.now + 30)  # the digest fails: its head goes alone, then retry
    assert covered(sender.delivered)[3:] == ["c4", "c5", "c6", "c7"]
