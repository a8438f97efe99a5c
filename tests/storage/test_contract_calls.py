"""Contract (Memory and SQLite): finished-call records and the missed alerts of a call (issue 13)."""

from __future__ import annotations

import dataclasses

from bot.domain import CallRecord, ChatRef, MissedCall
from bot.ports import Store

CHAT = ChatRef("telegram", "-1")


def rec(call_id: str, start_ms: int, **kw: object) -> CallRecord:
    base = CallRecord(call_id, start_ms, "in", "79161234567", "500", "+79161234567", ("201", "202"),
                      verdict="missed", ring_s=20.5, tries=(("201", start_ms + 5),))  # fmt: skip
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


async def test_records_round_trip_replace_and_range(store: Store) -> None:
    await store.record_call(rec("b", 2000))
    await store.record_call(rec("a", 1000, verdict="answered", answered_by="202", talk_s=61.0))
    await store.record_call(rec("c", 3000))
    assert [r.call_id for r in await store.calls_between(1000, 3000)] == ["a", "b"]
    await store.record_call(rec("b", 2000, resolution="done", resolved_by="Anna", resolved_ms=9))
    [b] = await store.calls_between(2000, 2001)
    assert b == rec("b", 2000, resolution="done", resolved_by="Anna", resolved_ms=9)


async def test_missed_alerts_of_a_call_include_delivered_ones(store: Store) -> None:
    await store.ensure_chat(CHAT, title="", language="en", timezone="UTC")
    m = MissedCall("A1", "79161234567", "", ("201",), "500", "", 1000, 2000, "NO_ANSWER")
    assert await store.enqueue(f"missed:A1:{CHAT}", CHAT, m, 1.0)
    assert await store.enqueue(f"missed:A10:{CHAT}", CHAT, dataclasses.replace(m, call_id="A10"), 1.0)
    [entry] = await store.due(2.0, 1)
    await store.mark_delivered([entry.id], "55", entry.version)
    [found] = await store.missed_alerts("A1")
    assert (found.alert, found.message_id, found.dedup_key) == (m, "55", f"missed:A1:{CHAT}")
    await store.upsert_card(found.dedup_key, CHAT, dataclasses.replace(m, resolution="done"), 3.0)
    [again] = await store.missed_alerts("A1")
    assert (again.version, again.message_id) == (2, "55") and again in await store.due(3.0)


async def test_prune_drops_records_older_than_the_cut(store: Store) -> None:
    await store.record_call(rec("old", 1_000))
    await store.record_call(rec("new", 5_000))
    await store.prune(delivered_before=3.0, audit_before=0.0)
    assert [r.call_id for r in await store.calls_between(0, 10_000)] == ["new"]


async def test_entries_of_message_are_a_digests_alerts(store: Store) -> None:
    await store.ensure_chat(CHAT, title="", language="en", timezone="UTC")
    m = MissedCall("A1", "79161234567", "", ("201",), "500", "", 1000, 2000, "NO_ANSWER")
    for i in range(3):
        await store.enqueue(f"missed:A{i}:{CHAT}", CHAT, dataclasses.replace(m, call_id=f"A{i}"), 1.0)
    ids = [e.id for e in await store.due(2.0)]
    await store.mark_delivered(ids[:2], "digest:7")
    got = await store.entries_of_message(CHAT, "digest:7")
    assert [e.id for e in got] == ids[:2]
    assert await store.entries_of_message(ChatRef("slack", "x"), "digest:7") == []
