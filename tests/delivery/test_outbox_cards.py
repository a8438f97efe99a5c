"""Delivery worker: call cards (send, edit in place, resend when gone) and quiet hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.delivery.worker import DeliveryWorker
from bot.domain import ChatRef
from bot.errors import MessageGone
from storage.memory import MemoryStore
from tests.delivery.fakes import FakeClock, FakeRenderer, RecordingSender, card, drive, missed

GROUP = ChatRef("telegram", "-1001")
MSK = ZoneInfo("Europe/Moscow")
# T0 is 23:26:40 in Moscow; the chat's quiet hours 22:00-08:00 end at 08:00 the next morning
QUIET_END = datetime(2026, 5, 29, 8, 0, tzinfo=MSK).timestamp()


async def new_store(quiet: bool = False) -> MemoryStore:
    store = MemoryStore()
    settings = await store.ensure_chat(GROUP, title="t", language="en", timezone="Europe/Moscow")
    if quiet:
        await store.update_chat(replace(settings, quiet_start="22:00", quiet_end="08:00"))
    return store


def worker_for(store: MemoryStore, clock: FakeClock, sender: RecordingSender) -> DeliveryWorker:
    return DeliveryWorker(store, {"telegram": sender}, FakeRenderer(), clock=clock, sleep=clock.sleep)


async def test_card_is_sent_then_edited_then_resent_when_gone() -> None:
    store, clock = await new_store(), FakeClock()
    sender = RecordingSender(clock=clock)
    worker = worker_for(store, clock, sender)
    await store.upsert_card("card:x", GROUP, card("x", "ringing"), clock.now)
    await drive(worker, clock, clock.now + 5)
    await store.upsert_card("card:x", GROUP, card("x", "answered"), clock.now)
    await drive(worker, clock, clock.now + 5)
    sender.script(MessageGone("message to edit not found"))
    await store.upsert_card("card:x", GROUP, card("x", "ended", ended_ms=1), clock.now)
    await drive(worker, clock, clock.now + 5)
    ops = [(s.op, s.text, s.message_id) for s in sender.delivered]
    assert ops == [
        ("send", "card:x:ringing", "101"),
        ("edit", "card:x:answered", "101"),
        ("send", "card:x:ended", "102"),
    ]
    assert await store.pending_for_chat(GROUP) == []
    await store.upsert_card("card:x", GROUP, card("x", "ended", ended_ms=2), clock.now)
    (entry,) = await store.pending_for_chat(GROUP)
    assert entry.message_id == "102"  # the resent message is the one edited from now on


async def test_card_skips_intermediate_versions_and_is_not_folded() -> None:
    store, clock = await new_store(), FakeClock()
    sender = RecordingSender(clock=clock)
    worker = worker_for(store, clock, sender)
    await store.upsert_card("card:x", GROUP, card("x", "ringing"), clock.now)
    for n in range(5):
        await store.enqueue(f"m{n}", GROUP, missed(n), clock.now)
    await store.upsert_card("card:x", GROUP, card("x", "answered"), clock.now)
    await store.upsert_card("card:x", GROUP, card("x", "ended", ended_ms=1), clock.now)
    await drive(worker, clock, clock.now + 10)
    assert [s.text for s in sender.delivered] == ["card:x:ended", "digest:c0,c1,c2,c3,c4"]
    assert sender.delivered[1].at - sender.delivered[0].at >= 1.0  # cards are paced too


async def test_quiet_hours_hold_then_one_digest_and_latest_card() -> None:
    store, clock = await new_store(quiet=True), FakeClock()
    sender = RecordingSender(clock=clock)
    worker = worker_for(store, clock, sender)
    for n in range(2):
        await store.enqueue(f"m{n}", GROUP, missed(n), clock.now)
    await store.upsert_card("card:x", GROUP, card("x", "ringing"), clock.now)
    await store.upsert_card("card:y", GROUP, card("y", "ringing"), clock.now)
    await drive(worker, clock, clock.now + 60)
    clock.now += 3600
    await store.upsert_card("card:x", GROUP, card("x", "answered"), clock.now)  # still going at 08:00
    ended_ms = int(clock.now * 1000)
    await store.upsert_card("card:y", GROUP, card("y", "ended", ended_ms=ended_ms), clock.now)
    await store.enqueue("m2", GROUP, missed(2), clock.now)
    passes = await drive(worker, clock, QUIET_END - 1)
    assert sender.delivered == [] and passes < 10  # held, and slept through the night
    assert worker.next_wake == QUIET_END
    await drive(worker, clock, QUIET_END + 30)
    assert [s.text for s in sender.delivered] == ["digest:c0,c1,c2", "card:x:answered"]
    assert sender.delivered[0].at == QUIET_END
    assert worker.dropped == 1  # card y: answered-and-ended at night, never posted
    assert await store.outbox_depth() == 0


async def test_quiet_hours_single_held_alert_is_sent_plain_and_missed_card_kept() -> None:
    store, clock = await new_store(quiet=True), FakeClock()
    sender = RecordingSender(clock=clock)
    worker = worker_for(store, clock, sender)
    await store.enqueue("m0", GROUP, missed(0), clock.now)
    ended = card("z", "ended", ended_ms=int(clock.now * 1000), missed=True)
    await store.upsert_card("card:z", GROUP, ended, clock.now)
    await drive(worker, clock, QUIET_END + 30)
    assert [s.text for s in sender.delivered] == ["missed:c0", "card:z:ended"]
    assert worker.dropped == 0


async def test_alerts_outside_quiet_hours_are_not_held() -> None:
    store, clock = await new_store(quiet=True), FakeClock(QUIET_END + 3600)
    sender = RecordingSender(clock=clock)
    await store.enqueue("m0", GROUP, missed(0), clock.now)
    await store.enqueue("m1", GROUP, missed(1), clock.now)
    await drive(worker_for(store, clock, sender), clock, clock.now + 10)
    assert [s.text for s in sender.delivered] == ["missed:c0", "missed:c1"]
