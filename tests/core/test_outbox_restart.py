"""Restart on a real SQLite file: a new worker delivers what the old one left, exactly once."""

from __future__ import annotations

from pathlib import Path

from bot.domain import ChatRef
from bot.errors import RetryAfter
from bot.outbox import DeliveryWorker
from storage.sqlite import SqliteStore
from tests.core.outbox_fakes import T0, FakeClock, FakeRenderer, RecordingSender, card, covered, drive, missed

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
