"""SQLite-only behaviour: durability across restarts, PRAGMAs, in-place upgrades, locking by
another process, errors as StorageError, and serialization of concurrent callers."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from bot.domain import AuditEntry, ChatSettings, Role, UserRef, alert_to_dict
from bot.errors import StorageError
from storage.migrations import LATEST, MIGRATIONS, upgrade
from storage.sqlite import SqliteStore
from tests.storage.samples import TG, card, reg

pytestmark = pytest.mark.timeout(30)
M002 = "m002_internal_alerts_and_errors"  # the second release's schema


async def test_data_survives_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "bot.db")
    store = await SqliteStore.open(path)
    await store.ensure_chat(TG, title="Sales", language="en", timezone="UTC")
    await store.bind(TG, "101")
    await store.remember_person(UserRef("telegram", "42", "Ivan", "ivan"))
    await store.grant("telegram", "42", Role.ADMIN, "*")
    await store.enqueue("k1", TG, reg(), 1.0)
    await store.upsert_card("c1", TG, card(), 1.0)
    await store.save_call("a", {"call_id": "a"}, 1.0)
    await store.audit(AuditEntry(1.0, "telegram", "-100", "42", "Ivan", "bind", "101", True, "ok"))
    await store.set_setting("pbx.last_event", "123")
    await store.close()
    await store.close()  # idempotent

    store = await SqliteStore.open(path)
    try:
        assert await store.get_chat(TG) == ChatSettings(TG, "Sales", "en", "UTC")
        assert await store.chats_of("101") == [TG]
        assert await store.find_person("telegram", "@ivan") == UserRef("telegram", "42")
        assert await store.roles_of("telegram", "42") == {"*": Role.ADMIN}
        assert [e.alert for e in await store.due(1.0)] == [reg(), card()]
        assert await store.enqueue("k1", TG, reg(), 2.0) is False
        assert await store.load_calls() == [{"call_id": "a"}]
        assert [e.command for e in await store.recent_audit(5)] == ["bind"]
        assert await store.get_setting("pbx.last_event") == "123"
    finally:
        await store.close()


async def test_wal_foreign_keys_and_cascade(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "bot.db"), busy_timeout_ms=1234)
    try:
        def pragmas(db: Database) -> tuple[Any, ...]:
            q = db.conn.execute
            names = ("journal_mode", "foreign_keys", "busy_timeout")
            return tuple(q(f"PRAGMA {p}").fetchone()[0] for p in names)

        assert await store.run(pragmas) == ("wal", 1, 1234)
        await store.ensure_chat(TG, title="", language="ru", timezone="UTC")
        await store.bind(TG, "101")
        await store.run(lambda db: db.execute("DELETE FROM chats"))
        assert await store.chats_of("101") == []
    finally:
        await store.close()


def _old_database(path: str) -> None:
    """A database as the first release left it: migration 1 only, with data."""
    db = Database(sqlite3.connect(path, isolation_level=None))
    upgrade(db, stop_before=M002)
    db.execute(
        "INSERT INTO chats (platform, chat_id, title, alert_calls) VALUES ('telegram', '-100', 'Old', 1)"
    )
    db.execute("INSERT INTO bindings VALUES ('telegram', '-100', '101')")
    db.execute(
        "INSERT INTO outbox (dedup_key, platform, chat_id, kind, payload, created_at, next_attempt_at) "
        "VALUES ('k1', 'telegram', '-100', 'registration', ?, 1.0, 1.0)",
        [json.dumps(alert_to_dict(reg()))],
    )
    assert "last_error" not in db.table("outbox").columns_dict
    db.conn.close()


async def test_old_database_upgrades_in_place(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    _old_database(path)
    store = await SqliteStore.open(path)
    try:
        applied = await store.run(lambda db: [m.name for m in MIGRATIONS.applied(db)])
        assert applied[:3] == ["m001_initial", M002, "m003_call_records_issue13"] and applied[-1] == LATEST
        assert "m005_issue19_people_org" in applied  # people carry their organisation
        assert await store.get_chat(TG) == ChatSettings(TG, "Old", alert_calls=True, alert_internal=False)
        assert await store.extensions_of(TG) == ["101"]
        [entry] = await store.due(1.0)
        assert (entry.dedup_key, entry.alert, entry.last_error) == ("k1", reg(), "")
        await store.reschedule([entry.id], 5.0, "boom")
        assert (await store.due(5.0))[0].last_error == "boom"
    finally:
        await store.close()
    store = await SqliteStore.open(path)  # reopening applies nothing twice
    await store.close()


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO settings VALUES ('locker', 'held')")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


async def test_lock_held_by_another_process(tmp_path: Path) -> None:
    path = str(tmp_path / "bot.db")
    patient = await SqliteStore.open(path, busy_timeout_ms=5000)
    hasty = await SqliteStore.open(path, busy_timeout_ms=200)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOCKER, path, "2.0", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        assert await asyncio.wait_for(proc.stdout.readline(), 10) == b"locked\n"
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(StorageError, match=r"locked by another connection for over 200 ms"):
            await hasty.set_setting("k", "hasty")
        assert loop.time() - started < 1.5
        assert await hasty.get_setting("k") is None  # WAL: readers are not blocked
        await patient.set_setting("k", "patient")  # waits for the other process to commit
        assert loop.time() - started > 1.0
        assert await patient.get_setting("locker") == "held"
        assert await hasty.get_setting("k") == "patient"
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await patient.close()
        await hasty.close()


async def test_concurrent_tasks_are_serialized_on_one_thread(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "bot.db"))
    threads: set[int] = set()

    def increment(db: Database) -> None:
        threads.add(threading.get_ident())
        row = db.conn.execute("SELECT value FROM settings WHERE key = 'n'").fetchone()
        db.execute("INSERT OR REPLACE INTO settings VALUES ('n', ?)", [str(int(row[0]) + 1 if row else 1)])

    try:
        await store.ensure_chat(TG, title="", language="ru", timezone="UTC")
        results = await asyncio.gather(
            *(store.enqueue(f"k{i % 50}", TG, reg(str(i)), float(i)) for i in range(200)),
            *(store.run(increment) for _ in range(100)),
        )
        assert sum(1 for r in results[:200] if r) == 50
        assert await store.get_setting("n") == "100"
        assert await store.outbox_depth() == 50
        assert len(threads) == 1 and threading.get_ident() not in threads
    finally:
        await store.close()


async def test_errors_are_storage_errors(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "bot.db"))
    await store.ensure_chat(TG, title="", language="ru", timezone="UTC")

    def broken(db: Database) -> None:
        db.execute("INSERT INTO settings VALUES ('half', 'done')")
        db.execute("SELECT * FROM no_such_table")

    with pytest.raises(StorageError, match=r"failed during broken: OperationalError"):
        await store.run(broken)
    assert await store.get_setting("half") is None  # rolled back as one transaction
    await store.close()
    with pytest.raises(StorageError, match="closed"):
        await store.get_setting("k")
    (tmp_path / "junk.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match=r"junk\.db"):
        await SqliteStore.open(str(tmp_path / "junk.db"))


async def test_unreadable_outbox_row_is_retired(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "bot.db"))
    try:
        await store.enqueue("bad", TG, reg("1"), 1.0)
        await store.enqueue("good", TG, reg("2"), 1.0)
        corrupt = "UPDATE outbox SET payload = '{\"kind\": 1}' WHERE dedup_key = 'bad'"
        await store.run(lambda db: db.execute(corrupt))
        assert [e.dedup_key for e in await store.due(1.0)] == ["good"]
        assert await store.outbox_depth() == 1
        query = "SELECT last_error FROM outbox WHERE dedup_key = 'bad'"
        error = await store.run(lambda db: db.conn.execute(query).fetchone())
        assert error[0].startswith("unreadable payload")
    finally:
        await store.close()
