"""SQLite reads on the caller's thread (#14): a read-only second connection that sees every
commit at once, never writes, and hands over to the store thread when the file is locked."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.writes import Enqueue
from storage.sqlite import SqliteStore
from tests.storage.samples import TG, missed

pytestmark = pytest.mark.timeout(30)


class LockedOnce:
    """Stands in for the read connection: the first BEGIN finds the file locked."""

    def __init__(self, real: sqlite3.Connection) -> None:
        self.real, self.refused = real, 0

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if sql == "BEGIN" and not self.refused:
            self.refused += 1
            raise sqlite3.OperationalError("database is locked")
        return self.real.execute(sql, *args)


async def test_reads_run_on_the_callers_thread_and_see_each_commit(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "bot.db"))
    try:
        await store.ensure_chat(TG, title="", language="en", timezone="UTC")
        seen: list[str] = []
        original = store._read_here

        def spy(*args: object) -> object:
            seen.append(threading.current_thread().name)
            return original(*args)  # type: ignore[arg-type]

        store._read_here = spy  # type: ignore[method-assign]
        [entry] = await store.apply([Enqueue("k1", TG, missed("a1"), 1.0)])
        assert entry is not None and entry.dedup_key == "k1"
        assert [e.dedup_key for e in await store.due(2.0)] == ["k1"]  # committed, visible at once
        assert seen == [threading.current_thread().name]
    finally:
        await store.close()


async def test_the_read_connection_cannot_write(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "bot.db"))
    try:
        assert store._reader is not None
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._reader.conn.execute("DELETE FROM outbox")
    finally:
        await store.close()


async def test_a_locked_read_moves_to_the_store_thread(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "bot.db"))
    try:
        await store.ensure_chat(TG, title="Sales", language="en", timezone="UTC")
        assert store._reader is not None
        locked = LockedOnce(store._reader.conn)
        store._reader.conn = locked  # type: ignore[assignment]
        got = await store.get_chat(TG)
        assert got is not None and got.title == "Sales" and locked.refused == 1
        store._reader.conn = locked.real
    finally:
        await store.close()


async def test_due_walks_only_undelivered_rows(tmp_path: Path) -> None:
    """Done rows stay for retention; the worker's due query must not scan them (#14)."""
    from storage import sqlite_outbox

    store = await SqliteStore.open(str(tmp_path / "bot.db"))
    try:
        assert store._reader is not None
        live = sqlite_outbox._LIVE
        sql = f"SELECT * FROM outbox o WHERE {live} AND next_attempt_at <= 1 ORDER BY id LIMIT 5"
        plan = " | ".join(str(row[-1]) for row in store._reader.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "outbox_live_by_id" in plan or "outbox_due" in plan, plan
    finally:
        await store.close()
