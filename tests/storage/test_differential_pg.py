"""Memory and PostgreSQL stores agree on random outbox/chat operation sequences (hypothesis), as
memory and SQLite do (test_differential.py, whose operations and snapshot this reuses)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.memory import MemoryStore
from storage.postgres import PostgresStore
from tests.storage import test_differential as diff

TABLES = ", ".join((
    "chats", "bindings", "people", "grants", "pairing_codes", "outbox", "tracked_calls", "audit",
    "settings", "call_records", "leases",
))  # fmt: skip


async def _empty(dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")  # type: ignore[arg-type]


@pytest.mark.timeout(120)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(diff.op, max_size=15))
async def test_memory_and_postgresql_agree(pg_dsn: str, steps: list[tuple[Any, ...]]) -> None:
    await (await PostgresStore.open(pg_dsn)).close()  # the schema (once; later examples find it)
    await _empty(pg_dsn)
    memory, pg = MemoryStore(), await PostgresStore.open(pg_dsn)
    try:
        for s in (memory, pg):
            for c in diff.CHATS[:2]:
                await s.ensure_chat(c, title="", language="ru", timezone="UTC")
        for step in steps:
            assert await diff._apply(memory, step) == await diff._apply(pg, step), step
        assert await diff._snapshot(memory) == await diff._snapshot(pg)
    finally:
        await pg.close()
