"""Restart on a real SQLite file: a new worker delivers what the old one left, exactly once."""

from __future__ import annotations

from pathlib import Path

from bot.delivery.worker import DeliveryWorker
from bot.domain import ChatRef
from bot.errors import ChatGone, ChatMigrated, MessageGone, RetryAfter
from storage.sqlite import SqliteStore
from tests.delivery.fakes import T0, FakeClock, FakeRenderer, RecordingSender, card, covered, drive, missed

GROUP = ChatRef("telegram", "-1001")
OTHER = ChatRef("telegram", "-1002")


def worker_for(store: SqliteStore, clock: FakeClock, sender: RecordingSender) -> DeliveryWorker:
    return DeliveryWorker(store, {"telegram": sender}, FakeRenderer(), clock=clock, sleep=clock.sleep)


async def test_new_worker_on_same_sqlite_file_delivers_leftovers_once(tmp_path: Path) -> None:
    path = str(tmp_path / "bot.db")
    clock = FakeClock()
    store = await SqliteStore.open(path)
    for chat in (GROUP, OTHER):
        await store.ensure_chat(chat, title="t", language="en", timezone="UTC")
    for n in range(3):
        await store.enqueue(f"g{n}", GROUP, missed(n), clock.now)
    await store.enqueue("o0", OTHER, missed(10), clock.now)
    await store.upsert_card("card:x", GROUP, card("x", "ringing"), clock.now)
    first = RecordingSender(clock=clock)
    first.script(None, RetryAfter(30))  # GROUP gets c0; OTHER is told to wait 30 s
    await worker_for(store, clock, first).deliver_once()
    await store.close()  # the process dies here

    clock.now = T0 + 2
    store = await SqliteStore.open(path)
    await store.upsert_card("card:x", GROUP, card("x", "answered"), clock.now)
    second = RecordingSender(clock=clock)
    await drive(worker_for(store, clock, second), clock, T0 + 120)
    assert [s.text for s in first.delivered] == ["missed:c0"]
    assert covered(second.to(GROUP)) == ["c1", "c2"]
    assert [s.text for s in second.to(GROUP) if s.text.startswith("card")] == ["card:x:answered"]
    assert [(s.text, s.at) for s in second.to(OTHER)] == [("missed:c10", T0 + 30)]  # kept the wait
    assert await store.outbox_depth() == 0
    await store.close()


async def test_cards_migration_and_gone_chat_on_sqlite(tmp_path: Path) -> None:
    store, clock = await SqliteStore.open(str(tmp_path / "bot.db")), FakeClock()
    for chat in (GROUP, OTHER):
        await store.ensure_chat(chat, title="t", language="en", timezone="UTC")
    sender = RecordingSender(clock=clock)
    worker = worker_for(store, clock, sender)
    await store.upsert_card("card:x", GROUP, card("x", "ringing"), clock.now)
    await drive(worker, clock, clock.now + 5)
    await store.upsert_card("card:x", GROUP, card("x", "answered"), clock.now)
    sender.script(MessageGone("gone"))  # the edit fails: a new message is posted
    await drive(worker, clock, clock.now + 5)
    await store.upsert_card("card:x", GROUP, card("x", "ended", ended_ms=1), clock.now)
    sender.script(ChatMigrated("-100900"))  # the group became a supergroup
    await drive(worker, clock, clock.now + 5)
    new = ChatRef("telegram", "-100900")
    assert [(s.op, s.chat, s.text, s.message_id) for s in sender.delivered] == [
        ("send", GROUP, "card:x:ringing", "101"),
        ("send", GROUP, "card:x:answered", "102"),
        ("send", new, "card:x:ended", "103"),
    ]
    await store.enqueue("o1", OTHER, missed(1), clock.now)
    sender.script(ChatGone("kicked"))
    await drive(worker, clock, clock.now + 60)
    settings = await store.get_chat(OTHER)
    assert settings is not None and not settings.active
    assert [e.dedup_key for e in await store.pending_for_chat(OTHER)] == ["o1"]
    assert await store.outbox_depth() == 0  # inactive chats do not count
    await store.close()
