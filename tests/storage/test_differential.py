"""Memory and SQLite stores agree on random outbox/chat operation sequences (hypothesis)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import ChatRef, OutboxEntry
from bot.ports import Store
from storage.memory import MemoryStore
from storage.sqlite import SqliteStore
from tests.storage.samples import card, reg

CHATS = [ChatRef("telegram", "-1"), ChatRef("telegram", "-2"), ChatRef("slack", "C1")]
chat = st.sampled_from(CHATS)
key = st.sampled_from(["a", "b", "c", "d"])
ts = st.integers(0, 20).map(float)
op = st.one_of(
    st.tuples(st.just("enqueue"), key, chat, ts),
    st.tuples(st.just("upsert"), key, chat, ts),
    st.tuples(st.just("due"), ts),
    st.tuples(st.just("deliver"), st.integers(0, 3), st.none() | st.integers(1, 4)),
    st.tuples(st.just("reschedule"), st.integers(0, 3), ts),
    st.tuples(st.just("active"), chat, st.booleans()),
    st.tuples(st.just("migrate"), chat, chat),
)


async def _apply(store: Store, step: tuple[Any, ...]) -> Any:
    name, *args = step
    if name == "enqueue":
        return await store.enqueue(args[0], args[1], reg(args[0]), args[2])
    if name == "upsert":
        return await store.upsert_card(args[0], args[1], card(call_id=args[0]), args[2])
    if name == "due":
        return _opaque(await store.due(args[0], limit=3))
    if name == "active":
        s = await store.get_chat(args[0])
        if s is not None:
            await store.update_chat(dataclasses.replace(s, active=args[1]))
        return s is not None
    if name == "migrate":
        return await store.migrate_chat(args[0], args[1]) if args[0] != args[1] else None
    ids = [e.id for e in await store.due(100.0)][args[0] : args[0] + 1]
    if name == "deliver":
        return await store.mark_delivered(ids, message_id="m", version=args[1])
    return await store.reschedule(ids, args[1], "err")


def _opaque(entries: list[OutboxEntry]) -> list[OutboxEntry]:
    """Ids are opaque (SQLite AUTOINCREMENT may skip some): compare order and content only."""
    return [dataclasses.replace(e, id=0) for e in entries]


async def _snapshot(store: Store) -> Any:
    pending = [_opaque(await store.pending_for_chat(c)) for c in CHATS]
    return pending, await store.outbox_depth(), await store.next_due_at(), await store.list_chats()


@pytest.mark.timeout(60)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(op, max_size=15))
async def test_stores_agree(steps: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        memory, sqlite = MemoryStore(), await SqliteStore.open(str(Path(tmp) / "d.db"))
        try:
            for s in (memory, sqlite):
                for c in CHATS[:2]:
                    await s.ensure_chat(c, title="", language="ru", timezone="UTC")
            for step in steps:
                assert await _apply(memory, step) == await _apply(sqlite, step), step
            assert await _snapshot(memory) == await _snapshot(sqlite)
        finally:
            await sqlite.close()
