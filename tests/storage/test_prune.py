"""Contract of retention (``Store.prune``): done outbox rows and stale tracked calls older than
the cut go (their dedup keys come back), undelivered rows of any age stay, audit older than its
cut goes. Runs against every store."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain import AuditEntry, ChatRef
from bot.ports import Store
from storage.sqlite import SqliteStore
from tests.storage.samples import TG, TG2, card, missed

pytestmark = pytest.mark.timeout(20)


async def _chats(store: Store, *chats: ChatRef) -> None:
    for chat in chats:
        await store.ensure_chat(chat, title="", language="ru", timezone="UTC")


async def _deliver(store: Store, key: str) -> None:
    [entry] = [e for e in await store.due(1e12, limit=1000) if e.dedup_key == key]
    await store.mark_delivered([entry.id])


def _audit(at: float, command: str) -> AuditEntry:
    return AuditEntry(at, "telegram", "-100", "7", "Ann", command, "", True, "ok")


async def _keys(store: Store, chat: ChatRef = TG) -> list[str]:
    return [e.dedup_key for e in await store.pending_for_chat(chat)]


async def test_old_done_rows_go_and_their_keys_come_back(store: Store) -> None:
    await _chats(store, TG)
    for key, at in (("old-done", 10.0), ("new-done", 200.0)):
        assert await store.enqueue(key, TG, missed(key), at)
        await _deliver(store, key)
    assert await store.prune(delivered_before=100.0, audit_before=0.0) == (1, 0)
    assert await store.enqueue("old-done", TG, missed("again"), 300.0) is True
    assert await store.enqueue("new-done", TG, missed("again"), 300.0) is False
    assert await _keys(store) == ["old-done"]
    assert await store.prune(delivered_before=100.0, audit_before=0.0) == (0, 0)


async def test_undelivered_rows_of_any_age_stay(store: Store) -> None:
    await _chats(store, TG, TG2)
    await store.enqueue("ancient", TG, missed("x"), 1.0)
    await store.enqueue("retried", TG, missed("y"), 2.0)
    [_, retried] = await store.due(5.0)
    await store.reschedule([retried.id], 50.0, "HTTP 502")
    await store.enqueue("other-chat", TG2, missed("z"), 3.0)
    assert await store.prune(delivered_before=1e12, audit_before=0.0) == (0, 0)
    assert await _keys(store) == ["ancient", "retried"]
    assert await _keys(store, TG2) == ["other-chat"]
    assert await store.outbox_depth() == 3
    assert await store.enqueue("ancient", TG, missed("x"), 4.0) is False


async def test_cards_are_done_only_when_the_latest_version_was_delivered(store: Store) -> None:
    await _chats(store, TG)
    await store.upsert_card("card:done", TG, card("ringing", "c1"), 10.0)
    await store.upsert_card("card:stale", TG, card("ringing", "c2"), 10.0)
    for key in ("card:done", "card:stale"):
        [entry] = [e for e in await store.due(10.0) if e.dedup_key == key]
        await store.mark_delivered([entry.id], message_id="m-" + key, version=entry.version)
    await store.upsert_card("card:stale", TG, card("answered", "c2"), 20.0)  # version 2, not sent
    assert await store.prune(delivered_before=100.0, audit_before=0.0) == (1, 0)
    [left] = await store.pending_for_chat(TG)
    assert (left.dedup_key, left.version, left.delivered_version) == ("card:stale", 2, 1)
    await store.upsert_card("card:done", TG, card("ended", "c1"), 30.0)  # a fresh row, version 1
    fresh = [e for e in await store.pending_for_chat(TG) if e.dedup_key == "card:done"]
    assert [(e.version, e.message_id) for e in fresh] == [(1, None)]


async def test_audit_older_than_the_cut_goes(store: Store) -> None:
    for at, command in ((5.0, "old1"), (50.0, "old2"), (100.0, "edge"), (150.0, "new")):
        await store.audit(_audit(at, command))
    assert await store.prune(delivered_before=0.0, audit_before=100.0) == (0, 2)
    assert [e.command for e in await store.recent_audit(10)] == ["new", "edge"]


async def test_stale_tracked_calls_go(store: Store) -> None:
    await store.save_call("stale", {"id": "stale"}, 10.0)
    await store.save_call("live", {"id": "live"}, 500.0)
    await store.save_call("kept-alive", {"id": "kept-alive"}, 20.0)
    await store.save_call("kept-alive", {"id": "kept-alive", "n": 2}, 600.0)
    await store.prune(delivered_before=100.0, audit_before=0.0)
    assert await store.load_calls() == [{"id": "live"}, {"id": "kept-alive", "n": 2}]


async def test_sqlite_rows_dropped_as_unreadable_count_as_done(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "bot.db"))
    try:
        await _chats(store, TG)
        await store.enqueue("garbled", TG, missed(), 10.0)
        await store.run(lambda db: db.execute("UPDATE outbox SET payload = '{'"))
        assert await store.due(20.0) == []  # retired (done = 1) with the error kept
        assert await store.prune(delivered_before=100.0, audit_before=0.0) == (1, 0)
        assert await store.run(lambda db: db.execute("SELECT count(*) FROM outbox").fetchone()[0]) == 0
    finally:
        await store.close()
