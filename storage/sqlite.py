"""SQLite ``Store``: one dedicated thread owns the connection; the core awaits each call.

Strategy: every write ships one synchronous function to a single-worker executor (the only
writer), which runs it inside BEGIN IMMEDIATE ... COMMIT; sqlite3 errors become ``StorageError``
there. Plain reads run on the caller's thread on a second, read-only connection (WAL readers
never wait for the writer and see every committed write): a thread round trip costs more than
an indexed read (#14). A read that finds the file locked anyway (WAL recovery, another
process's exclusive lock) goes to the store thread, which waits up to the busy timeout.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlite_utils import Database

from bot.domain import Alert, AuditEntry, CallRecord, ChatRef, ChatSettings, Grant, OutboxEntry, Role, UserRef
from bot.errors import StorageError
from bot.writes import DeleteCall, Enqueue, RecordCall, SaveCall, SetSetting, UpsertCard, Write
from storage import sqlite_calls as calls
from storage import sqlite_chats as chats
from storage import sqlite_outbox as outbox
from storage import sqlite_people as people
from storage import sqlite_records as records
from storage.files import installation_secret, keyed_hash, on_disk, private_file, tighten
from storage.migrations import upgrade

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def _connect(path: str, busy_timeout_ms: int) -> Database:
    """Runs on the store thread: open (the file ``0600``: storage/files.py), set PRAGMAs, migrate."""
    if on_disk(path):
        private_file(Path(path))
    conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StorageError(f"database {path} refused WAL journal mode (got {mode!r})")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        db = Database(conn)
        upgrade(db)
        tighten(path)  # the -wal and -shm SQLite just made
        return db
    except BaseException:
        conn.close()
        raise


#: a read on the caller's thread waits at most this long for a lock, then moves to the store thread
READ_BUSY_MS = 20


def _reader(path: str) -> Database:
    """The read-only connection for reads on the caller's (the event loop's) thread."""
    conn = sqlite3.connect(path, timeout=READ_BUSY_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_MS}")
        conn.execute("PRAGMA query_only = ON")
        return Database(conn, execute_plugins=False)
    except BaseException:
        conn.close()
        raise


def _storage_error(path: str, action: str, exc: sqlite3.Error, busy_ms: int) -> StorageError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError(
            f"database {path} stayed locked by another connection for over {busy_ms} ms ({action})"
        )
    return StorageError(f"database {path} failed during {action}: {type(exc).__name__}: {text}")


def _apply(db: Database, writes: Sequence[Write]) -> list[OutboxEntry | None]:
    """Group commit: every op of a batch inside the caller's one transaction."""
    return [_apply_one(db, op) for op in writes]


def _apply_one(db: Database, op: Write) -> OutboxEntry | None:
    if isinstance(op, Enqueue):
        return outbox.enqueue_entry(db, op.dedup_key, op.chat, op.alert, op.now)
    if isinstance(op, UpsertCard):
        outbox.upsert_card(db, op.dedup_key, op.chat, op.alert, op.now)
    elif isinstance(op, SaveCall):
        records.save_call(db, op.call_id, op.snapshot, op.updated_at)
    elif isinstance(op, DeleteCall):
        records.delete_call(db, op.call_id)
    elif isinstance(op, SetSetting):
        records.set_setting(db, op.key, op.value)
    elif isinstance(op, RecordCall):
        calls.record_call(db, op.record)
    else:
        raise StorageError(f"unknown write {type(op).__name__}")
    return None


def _prune(db: Database, delivered_before: float, audit_before: float) -> tuple[int, int]:
    """Retention in one transaction: done outbox rows, stale tracked calls, old audit."""
    records.prune_calls(db, delivered_before)
    calls.prune_records(db, int(delivered_before * 1000))
    return outbox.prune_done(db, delivered_before), records.prune_audit(db, audit_before)


class SqliteStore:
    """A :class:`bot.ports.Store` in one SQLite file (WAL, foreign keys on, busy timeout).

    Open with ``await SqliteStore.open(path)``; ``bind`` needs the chat to exist (``ensure_chat``).
    """

    def __init__(
        self, executor: ThreadPoolExecutor, db: Database, path: str, busy_timeout_ms: int,
        reader: Database | None = None,
    ) -> None:
        self._executor = executor
        self._db = db
        self._reader = reader
        self._path = path
        self._busy_ms = busy_timeout_ms
        self._closed = False
        self._secret = installation_secret(path)  # keys the pairing-code hashes (storage/files.py)

    @classmethod
    async def open(cls, path: str, *, busy_timeout_ms: int = 5000) -> SqliteStore:
        """Open (creating or upgrading) the database at ``path``; raises StorageError."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        try:
            db = await asyncio.get_running_loop().run_in_executor(executor, _connect, path, busy_timeout_ms)
            reader = _reader(path)
        except sqlite3.Error as exc:
            executor.shutdown(wait=False)
            raise _storage_error(path, "open", exc, busy_timeout_ms) from exc
        except BaseException:
            executor.shutdown(wait=False)
            raise
        logger.info("sqlite store open at %s", path)
        return cls(executor, db, path, busy_timeout_ms, reader)

    @property
    def db(self) -> Database:
        """The sqlite-utils database; touch it only from functions passed to :meth:`run`."""
        return self._db

    async def run(self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kw: P.kwargs) -> T:
        """Run ``fn(db, ...)`` as one write transaction on the store thread."""
        return await self._call(True, fn, *args, **kw)

    async def _read(self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kw: P.kwargs) -> T:
        if self._closed:
            raise StorageError(f"store {self._path} is closed")
        if self._reader is not None:
            try:
                return self._read_here(self._reader, fn, args, kw)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise _storage_error(self._path, fn.__name__, exc, self._busy_ms) from exc
        return await self._call(False, fn, *args, **kw)

    @staticmethod
    def _read_here(reader: Database, fn: Callable[..., T], args: Any, kw: Any) -> T:
        conn = reader.conn
        conn.execute("BEGIN")
        try:
            return fn(reader, *args, **kw)
        finally:
            conn.execute("COMMIT")

    async def _call(self, write: bool, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        if self._closed:
            raise StorageError(f"store {self._path} is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: self._transaction(write, fn, args, kw))

    def _transaction(self, write: bool, fn: Callable[..., T], args: Any, kw: Any) -> T:
        conn = self._db.conn
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = fn(self._db, *args, **kw)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result
        except sqlite3.Error as exc:
            raise _storage_error(self._path, fn.__name__, exc, self._busy_ms) from exc

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.conn.close()
        await asyncio.get_running_loop().run_in_executor(self._executor, self._db.conn.close)
        self._executor.shutdown(wait=True)
        logger.info("sqlite store at %s closed", self._path)

    # chats and bindings --------------------------------------------------------------------
    async def ensure_chat(self, chat: ChatRef, *, title: str, language: str, timezone: str) -> ChatSettings:
        return await self.run(chats.ensure_chat, chat, title, language, timezone)

    async def get_chat(self, chat: ChatRef) -> ChatSettings | None:
        return await self._read(chats.get_chat, chat)

    async def update_chat(self, settings: ChatSettings) -> None:
        await self.run(chats.update_chat, settings)

    async def list_chats(self) -> list[ChatSettings]:
        return await self._read(chats.list_chats)

    async def migrate_chat(self, old: ChatRef, new: ChatRef) -> None:
        await self.run(chats.migrate_chat, old, new)

    async def bind(self, chat: ChatRef, ext: str) -> bool:
        return await self.run(chats.bind, chat, ext)

    async def unbind(self, chat: ChatRef, ext: str | None) -> list[str]:
        return await self.run(chats.unbind, chat, ext)

    async def extensions_of(self, chat: ChatRef) -> list[str]:
        return await self._read(chats.extensions_of, chat)

    async def chats_of(self, ext: str) -> list[ChatRef]:
        return await self._read(chats.chats_of, ext)

    async def bindings(self) -> dict[str, list[ChatRef]]:
        return await self._read(chats.bindings)

    # people and roles ------------------------------------------------------------------------
    async def remember_person(self, user: UserRef) -> None:
        await self.run(people.remember_person, user)

    async def find_person(self, platform: str, handle: str) -> UserRef | None:
        return await self._read(people.find_person, platform, handle)

    async def find_people(self, platform: str, username: str) -> list[UserRef]:
        return await self._read(people.find_people, platform, username)

    async def grant(self, platform: str, user_id: str, role: Role, scope: str) -> None:
        await self.run(people.grant, platform, user_id, role, scope)

    async def revoke(self, platform: str, user_id: str, scope: str | None) -> int:
        return await self.run(people.revoke, platform, user_id, scope)

    async def revoke_keeping_an_admin(self, platform: str, user_id: str) -> int | None:
        return await self.run(people.revoke_keeping_an_admin, platform, user_id)

    async def roles_of(self, platform: str, user_id: str) -> dict[str, Role]:
        return await self._read(people.roles_of, platform, user_id)

    async def list_grants(self) -> list[Grant]:
        return await self._read(people.list_grants)

    async def add_pairing_code(self, code: str, expires_at: float) -> None:
        await self.run(people.add_pairing_code, keyed_hash(self._secret, code), expires_at)

    async def redeem_pairing_code(self, code: str, now: float) -> bool:
        return await self.run(people.redeem_pairing_code, keyed_hash(self._secret, code), now)

    # outbox ------------------------------------------------------------------------------------
    async def enqueue(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> bool:
        return await self.run(outbox.enqueue, dedup_key, chat, alert, now)

    async def upsert_card(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> None:
        await self.run(outbox.upsert_card, dedup_key, chat, alert, now)

    async def due(self, now: float, limit: int = 100) -> list[OutboxEntry]:
        entries, bad = await self._read(outbox.due, now, limit)
        if bad:
            await self.run(outbox.retire, bad)
        return entries

    async def pending_for_chat(self, chat: ChatRef) -> list[OutboxEntry]:
        entries, bad = await self._read(outbox.pending_for_chat, chat)
        if bad:
            await self.run(outbox.retire, bad)
        return entries

    async def undelivered_ids(self, limit: int) -> list[int]:
        return await self._read(outbox.undelivered_ids, limit)

    async def mark_delivered(
        self, ids: list[int], message_id: str | None = None, version: int | None = None
    ) -> None:
        await self.run(outbox.mark_delivered, ids, message_id, version)

    async def reschedule(self, ids: list[int], next_attempt_at: float, error: str) -> None:
        await self.run(outbox.reschedule, ids, next_attempt_at, error)

    async def outbox_depth(self) -> int:
        return await self._read(outbox.outbox_depth)

    async def next_due_at(self) -> float | None:
        return await self._read(outbox.next_due_at)

    async def prune(self, *, delivered_before: float, audit_before: float) -> tuple[int, int]:
        return await self.run(_prune, delivered_before, audit_before)

    async def apply(self, writes: Sequence[Write]) -> list[OutboxEntry | None]:
        return await self.run(_apply, list(writes)) if writes else []

    # tracked calls, audit, settings ----------------------------------------------------------
    async def save_call(self, call_id: str, snapshot: dict[str, Any], updated_at: float) -> None:
        await self.run(records.save_call, call_id, snapshot, updated_at)

    async def delete_call(self, call_id: str) -> None:
        await self.run(records.delete_call, call_id)

    async def load_calls(self) -> list[dict[str, Any]]:
        return await self._read(records.load_calls)

    async def record_call(self, record: CallRecord) -> None:
        await self.run(calls.record_call, record)

    async def calls_between(self, start_ms: int, end_ms: int) -> list[CallRecord]:
        return await self._read(calls.calls_between, start_ms, end_ms)

    async def missed_alerts(self, call_id: str) -> list[OutboxEntry]:
        return await self.run(calls.missed_alerts, call_id)  # may retire unreadable rows

    async def entries_of_message(self, chat: ChatRef, message_id: str) -> list[OutboxEntry]:
        return await self.run(calls.entries_of_message, chat, message_id)

    async def audit(self, entry: AuditEntry) -> None:
        await self.run(records.audit, entry)

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        return await self._read(records.recent_audit, limit)

    async def get_setting(self, key: str) -> str | None:
        return await self._read(records.get_setting, key)

    async def set_setting(self, key: str, value: str | None) -> None:
        await self.run(records.set_setting, key, value)
