"""Outbox throughput of the SQLite store against the in-memory store (the baseline).

Enqueue N alerts, then drain them with due(100) + mark_delivered; also the bare round trip to
the store thread. Ratios compare across machines; absolute numbers are for this one only.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bot.domain import ChatRef, RegistrationChange
from bot.ports import Store
from storage.memory import MemoryStore
from storage.sqlite import SqliteStore

N = 2000
CHAT = ChatRef("telegram", "-100")


async def _cycle(store: Store) -> tuple[float, float]:
    await store.ensure_chat(CHAT, title="bench", language="ru", timezone="UTC")
    start = time.perf_counter()
    for i in range(N):
        await store.enqueue(f"k{i}", CHAT, RegistrationChange(str(i), True, i), float(i))
    enqueued = time.perf_counter()
    while batch := await store.due(float(N), 100):
        await store.mark_delivered([e.id for e in batch])
    drained = time.perf_counter()
    return N / (enqueued - start), N / (drained - enqueued)


async def run() -> dict[str, float]:
    mem_enq, mem_drain = await _cycle(MemoryStore())
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqliteStore.open(str(Path(tmp) / "bench.db"))
        try:
            sql_enq, sql_drain = await _cycle(store)
            start = time.perf_counter()
            for _ in range(500):
                await store.get_setting("x")
            round_trip_us = (time.perf_counter() - start) / 500 * 1e6
        finally:
            await store.close()
    return {
        "sqlite_enqueue_per_s": sql_enq,
        "sqlite_drain_per_s": sql_drain,
        "sqlite_read_round_trip_us": round_trip_us,
        "enqueue_ratio_sqlite_vs_memory": sql_enq / mem_enq,
        "drain_ratio_sqlite_vs_memory": sql_drain / mem_drain,
    }
