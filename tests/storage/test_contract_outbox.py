"""Contract of the durable outbox: dedup, card versioning, due ordering, scheduling, depth,
inactive chats and migration of undelivered rows. Runs against every store."""

from __future__ import annotations

import dataclasses

import pytest

from bot.domain import Alert, ChatRef
from bot.ports import Store
from tests.storage.samples import SL, TG, TG2, card, missed, reg

pytestmark = pytest.mark.timeout(20)


async def _chats(store: Store, *chats: ChatRef) -> None:
    for chat in chats:
        await store.ensure_chat(chat, title="", language="ru", timezone="UTC")


async def test_enqueue_dedups_forever(store: Store) -> None:
    await _chats(store, TG)
    assert await store.enqueue("m:a1:-100", TG, missed(), 10.0) is True
    assert await store.enqueue("m:a1:-100", TG, missed("other"), 11.0) is False
    [entry] = await store.due(10.0)
    assert (entry.dedup_key, entry.chat, entry.alert, entry.created_at) == ("m:a1:-100", TG, missed(), 10.0)
    assert (entry.attempts, entry.next_attempt_at, entry.version, entry.delivered_version) == (0, 10.0, 1, 0)
    assert entry.message_id is None and entry.last_error == ""
    await store.mark_delivered([entry.id])
    assert await store.enqueue("m:a1:-100", TG, missed(), 12.0) is False
    assert await store.due(100.0) == []


async def test_alert_kinds_round_trip(store: Store) -> None:
    await _chats(store, TG)
    alerts: list[Alert] = [missed(), reg(online=False), card("answered")]
    for i, alert in enumerate(alerts):
        await store.enqueue(f"k{i}", TG, alert, 1.0)
    assert [e.alert for e in await store.due(1.0)] == alerts


async def test_due_is_oldest_first_with_limit_and_schedule(store: Store) -> None:
    await _chats(store, TG, SL)
    await store.enqueue("k1", TG, reg("1"), 5.0)
    await store.enqueue("k2", SL, reg("2"), 1.0)  # later id, earlier time: still after k1
    await store.enqueue("k3", TG, reg("3"), 9.0)
    assert [e.dedup_key for e in await store.due(5.0)] == ["k1", "k2"]
    assert [e.dedup_key for e in await store.due(9.0, limit=2)] == ["k1", "k2"]
    assert [e.dedup_key for e in await store.due(9.0)] == ["k1", "k2", "k3"]
    assert await store.next_due_at() == 1.0
    assert await store.outbox_depth() == 3


async def test_reschedule_counts_attempts_and_keeps_error(store: Store) -> None:
    await _chats(store, TG)
    await store.enqueue("k1", TG, reg(), 1.0)
    await store.enqueue("k2", TG, reg("2"), 1.0)
    ids = [e.id for e in await store.due(1.0)]
    await store.reschedule(ids, 30.0, "429 retry after 29s")
    await store.reschedule(ids[:1], 60.0, "timeout")
    assert await store.due(29.0) == []
    assert await store.next_due_at() == 30.0
    [second] = await store.due(30.0)
    assert (second.id, second.attempts, second.last_error) == (ids[1], 1, "429 retry after 29s")
    [first, _] = await store.due(60.0)
    assert (first.attempts, first.next_attempt_at, first.last_error) == (2, 60.0, "timeout")
    assert await store.outbox_depth() == 2


async def test_mark_delivered_batch(store: Store) -> None:
    await _chats(store, TG)
    for i in range(3):
        await store.enqueue(f"k{i}", TG, reg(str(i)), 1.0)
    entries = await store.due(1.0)
    await store.mark_delivered([entries[0].id, entries[2].id], message_id="77")
    assert [e.id for e in await store.due(1.0)] == [entries[1].id]
    assert await store.outbox_depth() == 1
    await store.mark_delivered([entries[1].id, 999_999])
    assert await store.outbox_depth() == 0
    assert await store.next_due_at() is None


async def test_card_versioning(store: Store) -> None:
    await _chats(store, TG)
    await store.upsert_card("card:c1", TG, card("ringing"), 1.0)
    [v1] = await store.due(1.0)
    assert (v1.version, v1.delivered_version, v1.message_id) == (1, 0, None)
    await store.upsert_card("card:c1", TG, card("answered"), 2.0)  # updated while sending v1
    await store.mark_delivered([v1.id], message_id="m1", version=1)
    [v2] = await store.due(2.0)
    assert (v2.id, v2.alert, v2.version, v2.delivered_version, v2.message_id) == (
        v1.id, card("answered"), 2, 1, "m1"
    )
    await store.mark_delivered([v2.id], message_id="m1", version=2)
    assert await store.due(100.0) == []
    await store.upsert_card("card:c1", TG, card("ended"), 5.0)
    [v3] = await store.due(5.0)
    assert (v3.version, v3.delivered_version, v3.message_id, v3.alert) == (3, 2, "m1", card("ended"))
    assert await store.enqueue("card:c1", TG, card("ended"), 6.0) is False


async def test_card_update_is_due_again_at_now(store: Store) -> None:
    await _chats(store, TG)
    await store.upsert_card("card:c1", TG, card("ringing"), 1.0)
    [v1] = await store.due(1.0)
    await store.reschedule([v1.id], 50.0, "boom")
    await store.upsert_card("card:c1", TG, card("answered"), 3.0)
    [v2] = await store.due(3.0)
    assert (v2.version, v2.next_attempt_at, v2.attempts) == (2, 3.0, 1)
    await store.mark_delivered([v2.id], message_id="m9", version=2)
    await store.upsert_card("card:c1", TG, card("ended"), 4.0)
    [v3] = await store.due(4.0)
    assert (v3.attempts, v3.last_error) == (0, "")


async def test_inactive_chats_are_excluded(store: Store) -> None:
    settings = await store.ensure_chat(TG, title="", language="ru", timezone="UTC")
    await _chats(store, SL)
    await store.enqueue("k1", TG, reg("1"), 1.0)
    await store.enqueue("k2", SL, reg("2"), 2.0)
    await store.update_chat(dataclasses.replace(settings, active=False))
    assert [e.dedup_key for e in await store.due(10.0)] == ["k2"]
    assert await store.outbox_depth() == 1
    assert await store.next_due_at() == 2.0
    assert [e.dedup_key for e in await store.pending_for_chat(TG)] == ["k1"]
    await store.ensure_chat(TG, title="", language="ru", timezone="UTC")  # back in the chat
    assert [e.dedup_key for e in await store.due(10.0)] == ["k1", "k2"]


async def test_pending_for_chat_ignores_schedule(store: Store) -> None:
    await _chats(store, TG, SL)
    await store.enqueue("k1", TG, reg("1"), 1.0)
    await store.enqueue("k2", SL, reg("2"), 1.0)
    await store.enqueue("k3", TG, reg("3"), 1.0)
    [k1, _, k3] = await store.due(1.0)
    await store.reschedule([k3.id], 1e9, "later")
    await store.mark_delivered([k1.id])
    assert [e.dedup_key for e in await store.pending_for_chat(TG)] == ["k3"]
    assert await store.pending_for_chat(TG2) == []


async def test_migrate_moves_only_undelivered_rows(store: Store) -> None:
    await _chats(store, TG)
    await store.enqueue("done", TG, reg("1"), 1.0)
    await store.enqueue("wait", TG, reg("2"), 1.0)
    await store.upsert_card("card", TG, card(), 1.0)
    [done, _, crd] = await store.due(1.0)
    await store.mark_delivered([done.id])
    await store.mark_delivered([crd.id], message_id="m1", version=1)
    await store.upsert_card("card", TG, card("ended"), 2.0)
    await store.migrate_chat(TG, TG2)
    moved = await store.pending_for_chat(TG2)
    assert [(e.dedup_key, e.chat) for e in moved] == [("wait", TG2), ("card", TG2)]
    assert moved[1].message_id is None  # an old chat's message cannot be edited in the new one
    assert await store.pending_for_chat(TG) == []
    assert await store.enqueue("done", TG2, reg("1"), 3.0) is False
    assert [e.dedup_key for e in await store.due(5.0)] == ["wait", "card"]
