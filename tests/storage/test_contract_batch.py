"""Contract of ``Store.apply`` (group commit, bot/writes.py): ops in order, one result each, all
or nothing. Each test runs against every store (see conftest ``store``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.domain import CallRecord
from bot.errors import StorageError
from bot.ports import Store
from bot.writes import DeleteCall, Enqueue, RecordCall, SaveCall, SetSetting, UpsertCard
from tests.storage.samples import SL, TG, card, missed

pytestmark = pytest.mark.timeout(20)


async def test_apply_runs_every_op_in_order_with_one_result_each(store: Store) -> None:
    for chat in (TG, SL):
        await store.ensure_chat(chat, title="", language="en", timezone="UTC")
    assert await store.enqueue("k0", TG, missed("a0"), 1.0) is True
    results = await store.apply([
        Enqueue("k0", TG, missed("a0"), 2.0),  # enqueued before: not again
        Enqueue("k1", TG, missed("a1"), 2.0),
        Enqueue("k1", SL, missed("a1"), 2.0),  # twice in one batch: the first one wins
        UpsertCard("c1", SL, card("ringing"), 2.0),
        UpsertCard("c1", SL, card("answered"), 2.0),
        SaveCall("x", {"call_id": "x", "n": 1}, 2.0),
        SaveCall("y", {"call_id": "y"}, 3.0),
        DeleteCall("x"),
        SetSetting("s", "v"),
    ])  # fmt: skip
    assert results[0] is None and results[2] is None and results[3:] == [None] * 6
    due = await store.due(10.0)
    assert [(e.dedup_key, e.chat) for e in due] == [("k0", TG), ("k1", TG), ("c1", SL)]
    assert results[1] == due[1]  # the new entry, exactly as the outbox reads it back (short path)
    assert due[2].version == 2 and getattr(due[2].alert, "phase", "") == "answered"
    assert await store.load_calls() == [{"call_id": "y"}]
    assert await store.get_setting("s") == "v"
    assert await store.apply([]) == []


async def test_apply_is_all_or_nothing(store: Store) -> None:
    await store.ensure_chat(TG, title="", language="en", timezone="UTC")
    bad: Any = object()  # a write no store knows: the whole batch must fail and store nothing
    with pytest.raises(StorageError):
        await store.apply([Enqueue("k1", TG, missed("a1"), 1.0), SaveCall("x", {"call_id": "x"}, 1.0), bad])
    assert await store.due(10.0) == []
    assert await store.load_calls() == []
    again = await store.apply([Enqueue("k1", TG, missed("a1"), 1.0)])
    assert again[0] is not None and again[0].dedup_key == "k1"  # the key stayed free


async def test_undelivered_ids_are_the_live_pending_rows_oldest_first(store: Store) -> None:
    """The short path's check: ids of undelivered rows of active chats, whatever their schedule."""
    for chat in (TG, SL):
        await store.ensure_chat(chat, title="", language="en", timezone="UTC")
    new = await store.apply([Enqueue(f"k{i}", TG if i % 2 else SL, missed(f"a{i}"), 1.0) for i in range(4)])
    ids = [e.id for e in new if e is not None]
    assert len(ids) == 4 and await store.undelivered_ids(10) == ids
    assert await store.undelivered_ids(2) == ids[:2]
    await store.reschedule([ids[0]], 99.0, "later")  # not due, still undelivered
    await store.mark_delivered([ids[1]])
    assert await store.undelivered_ids(10) == [ids[0], ids[2], ids[3]]
    sl = await store.get_chat(SL)
    assert sl is not None
    await store.update_chat(dataclasses.replace(sl, active=False))  # an inactive chat's rows wait
    assert await store.undelivered_ids(10) == [ids[3]]


async def test_apply_records_finished_calls_with_the_batch(store: Store) -> None:
    """Follow-ups write a finished call's row through the batch: one transaction with the rest."""
    first = CallRecord("c1", 1_000, "in", "79161234567", "201", "+79161234567", verdict="missed")
    resolved = dataclasses.replace(first, resolution="callback", resolved_by="201", resolved_ms=2_000)
    assert await store.apply([RecordCall(first), RecordCall(resolved), SetSetting("s", "v")]) == [None] * 3
    assert await store.calls_between(0, 10_000) == [resolved]  # the later row of a call replaces it
    bad: Any = object()
    with pytest.raises(StorageError):
        await store.apply([RecordCall(dataclasses.replace(first, call_id="c2")), bad])
    assert [r.call_id for r in await store.calls_between(0, 10_000)] == ["c1"]  # all or nothing
