"""The delivery worker's short path (#14): entries handed over by the pipeline's commit are sent
without reading them back, only when the outbox holds nothing else; otherwise a full pass."""

from __future__ import annotations

from typing import Any

from bot.delivery.worker import DeliveryWorker
from bot.domain import ChatRef, OutboxEntry
from bot.ports import PacingLimits
from bot.writes import Enqueue
from storage.memory import MemoryStore
from tests.delivery.fakes import FakeClock, FakeRenderer, RecordingSender, missed

A = ChatRef("telegram", "1")
B = ChatRef("telegram", "2")


class CountingStore(MemoryStore):
    """A MemoryStore that counts the worker's outbox reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: dict[str, int] = {"due": 0, "pending_for_chat": 0, "undelivered_ids": 0}

    async def due(self, now: float, limit: int = 100) -> list[OutboxEntry]:
        self.reads["due"] += 1
        return await super().due(now, limit)

    async def pending_for_chat(self, chat: ChatRef) -> list[OutboxEntry]:
        self.reads["pending_for_chat"] += 1
        return await super().pending_for_chat(chat)

    async def undelivered_ids(self, limit: int) -> list[int]:
        self.reads["undelivered_ids"] += 1
        return await super().undelivered_ids(limit)


async def rig(**limits: Any) -> tuple[CountingStore, FakeClock, RecordingSender, DeliveryWorker]:
    store, clock = CountingStore(), FakeClock()
    for chat in (A, B):
        await store.ensure_chat(chat, title="t", language="en", timezone="UTC")
    sender = RecordingSender(clock=clock, limits=PacingLimits(limits.get("interval", 0.0), None))
    worker = DeliveryWorker(store, {"telegram": sender}, FakeRenderer(), clock=clock, sleep=clock.sleep)
    await worker.deliver_once()  # the first pass is a full one (nothing is known yet)
    return store, clock, sender, worker


async def commit(store: MemoryStore, clock: FakeClock, *items: tuple[str, ChatRef, int]) -> list[OutboxEntry]:
    results = await store.apply([Enqueue(key, chat, missed(n), clock.now) for key, chat, n in items])
    return [r for r in results if r is not None]


def reset(store: CountingStore) -> None:
    store.reads = dict.fromkeys(store.reads, 0)


async def test_handed_over_entries_are_sent_without_reading_them_back() -> None:
    store, clock, sender, worker = await rig()
    fresh = await commit(store, clock, ("k1", A, 1), ("k2", B, 2))
    reset(store)
    worker.offer(fresh)
    assert await worker.deliver_once() == 2
    assert [(s.chat, s.text) for s in sender.delivered] == [(A, "missed:c1"), (B, "missed:c2")]
    assert store.reads == {"due": 0, "pending_for_chat": 0, "undelivered_ids": 1}
    assert worker.short_passes == 1 and await store.outbox_depth() == 0
    assert await worker.deliver_once() == 0  # done in the store: never sent twice
    assert len(sender.delivered) == 2


async def test_other_pending_rows_make_it_a_full_pass_in_order() -> None:
    store, clock, sender, worker = await rig()
    await store.enqueue("older", A, missed(0), clock.now)  # written by someone who did not say so
    fresh = await commit(store, clock, ("k1", A, 1))
    reset(store)
    worker.offer(fresh)
    assert await worker.deliver_once() == 1
    assert store.reads["due"] == 1 and worker.short_passes == 0  # read it all
    assert [s.text for s in sender.delivered] == ["missed:c0"]  # the older alert first


async def test_a_wake_since_the_last_full_pass_makes_it_a_full_pass() -> None:
    store, clock, _, worker = await rig()
    fresh = await commit(store, clock, ("k1", A, 1))
    worker.wake()  # e.g. the history settler queued or edited something
    worker.offer(fresh)
    reset(store)
    assert await worker.deliver_once() == 1
    assert store.reads["due"] == 1 and worker.short_passes == 0
    fresh = await commit(store, clock, ("k2", A, 2))
    reset(store)
    worker.offer(fresh)
    assert await worker.deliver_once() == 1
    assert store.reads["due"] == 0 and worker.short_passes == 1  # nothing unannounced since


async def test_an_entry_a_full_pass_already_sent_is_not_sent_again() -> None:
    store, clock, sender, worker = await rig()
    fresh = await commit(store, clock, ("k1", A, 1))
    worker.wake()
    await worker.deliver_once()  # a full pass that read and sent it before the hand-over arrived
    worker.offer(fresh)
    await worker.deliver_once()
    assert [s.text for s in sender.delivered] == ["missed:c1"]


async def test_a_paced_chat_keeps_its_turns_and_the_rest_goes_by_the_full_path() -> None:
    store, clock, sender, worker = await rig(interval=1.0)
    fresh = await commit(store, clock, ("k1", A, 1), ("k2", A, 2))
    worker.offer(fresh)
    assert await worker.deliver_once() == 1  # one message per chat and pace
    assert worker.next_wake == clock.now + 1.0
    clock.now += 1.0
    reset(store)
    assert await worker.deliver_once() == 1
    assert store.reads["due"] == 1  # the leftover was read from the store
    assert [s.text for s in sender.delivered] == ["missed:c1", "missed:c2"]


async def test_hand_overs_a_busy_worker_cannot_take_are_left_to_the_store() -> None:
    store, clock, sender, worker = await rig()
    fresh = await commit(store, clock, *((f"k{i}", A if i % 2 else B, i) for i in range(10)))
    worker._batch = 4  # a pass takes at most 4 entries
    worker.offer(fresh[:3])
    worker.offer(fresh[3:])  # no pass in between: more than a pass takes
    assert worker._offered == []  # nothing held in memory
    reset(store)
    await worker.deliver_once()
    assert store.reads["due"] == 1 and worker.short_passes == 0  # read from the store instead
    assert [s.text for s in sender.delivered] == ["digest:c0,c2,c4,c6,c8", "digest:c1,c3,c5,c7,c9"]


async def test_not_yet_due_entries_are_not_sent_early() -> None:
    store, clock, sender, worker = await rig()
    results = await store.apply([Enqueue("k1", A, missed(1), clock.now + 30)])
    worker.offer([r for r in results if r is not None])
    assert await worker.deliver_once() == 0 and sender.delivered == []
