"""Delivery worker: order, pacing, bursts folded into digests, restart, missing sender, run loop."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from bot.delivery.worker import DeliveryWorker
from bot.domain import ChatRef
from bot.ports import PacingLimits
from storage.memory import MemoryStore
from tests.delivery.fakes import (
    T0,
    FakeClock,
    FakeRenderer,
    RecordingSender,
    covered,
    drive,
    missed,
)

GROUP = ChatRef("telegram", "-1001")
OTHER = ChatRef("telegram", "-1002")
SLACK = ChatRef("slack", "C01")


async def new_store(*chats: ChatRef) -> MemoryStore:
    store = MemoryStore()
    for chat in chats:
        await store.ensure_chat(chat, title="t", language="en", timezone="UTC")
    return store


def worker_for(store: MemoryStore, clock: FakeClock, *senders: RecordingSender) -> DeliveryWorker:
    return DeliveryWorker(
        store, {s.platform: s for s in senders}, FakeRenderer(), clock=clock, sleep=clock.sleep
    )


async def test_delivers_in_order_per_chat_and_paces_each_chat() -> None:
    store, clock = await new_store(GROUP, OTHER), FakeClock()
    sender = RecordingSender(clock=clock)
    for n in range(3):
        await store.enqueue(f"g{n}", GROUP, missed(n), clock.now)
        await store.enqueue(f"o{n}", OTHER, missed(10 + n), clock.now)
    worker = worker_for(store, clock, sender)
    passes = await drive(worker, clock, T0 + 30)
    assert [s.text for s in sender.to(GROUP)] == ["missed:c0", "missed:c1", "missed:c2"]
    assert [s.text for s in sender.to(OTHER)] == ["missed:c10", "missed:c11", "missed:c12"]
    for chat in (GROUP, OTHER):
        times = [s.at for s in sender.to(chat)]
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    assert sender.to(OTHER)[0].at == T0  # one chat's queue does not hold the other back
    assert await store.outbox_depth() == 0
    assert worker.delivered == 6 and worker.messages == 6 and worker.digests == 0
    assert passes < 12  # slept between slots, no spinning


def windows_ok(times: list[float], per_minute: int) -> bool:
    return all(sum(1 for u in times if t <= u < t + 60) <= per_minute for t in times)


async def test_burst_of_1000_at_once_becomes_one_digest() -> None:
    store, clock = await new_store(GROUP), FakeClock()
    sender = RecordingSender(clock=clock, limits=PacingLimits(1.0, 20))
    for n in range(1000):
        await store.enqueue(f"k{n}", GROUP, missed(n), clock.now)
    worker = worker_for(store, clock, sender)
    await drive(worker, clock, T0 + 120)
    assert covered(sender.delivered) == [f"c{n}" for n in range(1000)]
    assert len(sender.delivered) == 1 and worker.digests == 1 and worker.delivered == 1000


async def test_burst_of_1000_spread_over_100s_keeps_20_per_minute() -> None:
    store, clock = await new_store(GROUP), FakeClock()
    sender = RecordingSender(clock=clock, limits=PacingLimits(1.0, 20))
    worker = worker_for(store, clock, sender)
    arrivals = [T0 + n * 0.1 for n in range(1000)]  # 10 missed calls a second for 100 s
    n, passes = 0, 0
    while n < 1000 or await store.outbox_depth():
        while n < 1000 and arrivals[n] <= clock.now:
            await store.enqueue(f"k{n}", GROUP, missed(n), arrivals[n])
            n += 1
        await worker.deliver_once()
        passes += 1
        assert worker.next_wake is not None
        wake = worker.next_wake if n == 1000 else min(worker.next_wake, arrivals[n])
        clock.now = max(clock.now, wake)
    times = [s.at for s in sender.delivered]
    assert covered(sender.delivered) == [f"c{k}" for k in range(1000)]  # all, once, in order
    assert windows_ok(times, 20)
    assert times[-1] <= arrivals[-1] + 120  # no hour-long queue
    assert len(times) <= 45
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) <= 3.75 + 1e-9  # a steady trickle, no long stall
    assert passes < 1100


async def test_restart_delivers_leftovers_exactly_once() -> None:
    store, clock = await new_store(GROUP), FakeClock()
    first = RecordingSender(clock=clock)
    for n in range(3):
        await store.enqueue(f"k{n}", GROUP, missed(n), clock.now)
    old = worker_for(store, clock, first)
    await old.deliver_once()  # sends c0, then the process "dies"
    assert [s.text for s in first.delivered] == ["missed:c0"]
    second = RecordingSender(clock=clock)
    new = worker_for(store, clock, second)
    await drive(new, clock, T0 + 30)
    assert [s.text for s in second.delivered] == ["missed:c1", "missed:c2"]
    assert await store.outbox_depth() == 0


async def test_no_sender_keeps_entries_logs_once_then_resumes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    store, clock = await new_store(GROUP, SLACK), FakeClock()
    telegram = RecordingSender(clock=clock)
    await store.enqueue("s1", SLACK, missed(1), clock.now)
    await store.enqueue("g1", GROUP, missed(2), clock.now)
    worker = worker_for(store, clock, telegram)
    await drive(worker, clock, T0 + 10)
    await store.enqueue("s2", SLACK, missed(3), clock.now)
    await drive(worker, clock, T0 + 400)
    assert [s.text for s in telegram.delivered] == ["missed:c2"]
    assert [e.dedup_key for e in await store.pending_for_chat(SLACK)] == ["s1", "s2"]
    assert sum("no sender for platform 'slack'" in r.getMessage() for r in caplog.records) == 1
    slack = RecordingSender("slack", clock=clock)
    worker.add_sender(slack)
    await worker.deliver_once()  # at once, not after the no-sender recheck interval
    await drive(worker, clock, clock.now + 5)
    assert [s.text for s in slack.delivered] == ["missed:c1", "missed:c3"]
    assert await store.pending_for_chat(SLACK) == []


@pytest.mark.timeout(10)
async def test_run_sleeps_until_due_wakes_on_enqueue_and_stops() -> None:
    store, clock = await new_store(GROUP), FakeClock()
    sender = RecordingSender(clock=clock)
    worker = worker_for(store, clock, sender)
    for n in range(2):
        await store.enqueue(f"k{n}", GROUP, missed(n), clock.now)
    task = asyncio.create_task(worker.run())
    await sender.wait_delivered(2)
    assert sender.delivered[1].at - sender.delivered[0].at == pytest.approx(1.0)
    await store.enqueue("k2", GROUP, missed(2), clock.now)
    worker.wake()
    await sender.wait_delivered(3)
    await worker.stop()
    await asyncio.wait_for(task, 1)
    assert [s.text for s in sender.delivered][-1] == "missed:c2"
    assert all(s > 0 for s in clock.slept)  # never a zero-length spin
    assert max(clock.slept) <= 60.0
