"""PostgreSQL ``Store``: one connection for writes, one for reads, each opened again after a break.

Strategy: every write is one transaction on the writer connection (an asyncio lock makes it this
process's only writer, as the SQLite store's thread is). A store given a fence runs
``lease_check`` first inside that transaction, so the database itself refuses the write of a
process whose lease has gone, and key-share-locks the lease row until commit, so no takeover
lands in the middle. ``apply`` pipelines its batch (one round trip for the lot). Reads run in autocommit on
the reader connection and see every committed write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg

from bot.domain import Alert, AuditEntry, CallRecord, ChatRef, ChatSettings, Grant, OutboxEntry, Role, UserRef
from bot.errors import StorageError
from bot.writes import Write
from storage.files import installation_secret, keyed_hash
from storage.postgres import batch, chats, outbox, people, records
from storage.postgres.lease import Fence, LeaseToken
from storage.postgres.link import LeaseLost, Link
from storage.postgres.rows import Conn
from storage.postgres.schema import upgrade

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class PostgresStore:
    """A :class:`bot.ports.Store` in a PostgreSQL database (``BOT_DB=postgresql://...``).

    Open with ``await PostgresStore.open(dsn)`` (migrates the schema; refuses a database migrated
    by a newer onpbx-bot). With ``fence`` (a :class:`storage.postgres.lease.Lease`) every write
    is refused, by the process and by the database, unless the lease is held.
    """

    def __init__(
        self, writer: Link, reader: Link, fence: Fence | None = None, secret: bytes | None = None
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._fence = fence
        self._closed = False
        #: keys the pairing-code hashes; not in the database, so a copy of it alone tries no code
        self._secret = secret or installation_secret("")

    @classmethod
    async def open(
        cls, dsn: str, *, fence: Fence | None = None, secret: bytes | None = None
    ) -> PostgresStore:
        """Connect, create or upgrade the schema; raises StorageError (never naming the password).
        ``secret``: the installation's secret (storage/files.py; the factory reads it from a file
        in the working directory); a random one when not given (codes last as long as the store)."""
        writer, reader = Link(dsn, role="store"), Link(dsn, role="store reads")
        try:
            conn = await writer.connection()
            try:
                await upgrade(conn)
            except psycopg.Error as exc:
                raise writer.error("schema upgrade", exc) from None
            await reader.connection()
        except BaseException:
            await writer.close()
            await reader.close()
            raise
        logger.info("postgresql store open at %s", writer.where)
        return cls(writer, reader, fence, secret)

    @property
    def where(self) -> str:
        """The database URL with its password masked."""
        return self._writer.where

    def _token(self) -> LeaseToken | None:
        if self._closed:
            raise StorageError(f"store {self.where} is closed")
        if self._fence is None:
            return None
        token = self._fence.token()
        if token is None:
            raise LeaseLost("this process does not hold the lease: write refused")
        return token

    async def _write(
        self, fn: Callable[Concatenate[Conn, P], Awaitable[T]], *args: P.args, **kw: P.kwargs
    ) -> T:
        return await self._transaction(False, fn, *args, **kw)

    async def _transaction(
        self, pipeline: bool, fn: Callable[Concatenate[Conn, P], Awaitable[T]], *args: P.args, **kw: P.kwargs
    ) -> T:
        """``fn(conn, ...)`` as one (fenced) write transaction, pipelined when asked. A connection
        found dead at BEGIN ran nothing, so the transaction runs again on a new one, once."""
        token = self._token()
        async with self._writer.lock:
            try:
                return await self._run(True, pipeline, token, fn, *args, **kw)
            except _DeadAtBegin:
                return await self._run(False, pipeline, token, fn, *args, **kw)

    async def _run(
        self, may_retry: bool, pipeline: bool, token: LeaseToken | None,
        fn: Callable[Concatenate[Conn, P], Awaitable[T]], *args: P.args, **kw: P.kwargs,
    ) -> T:  # fmt: skip
        link, begun = self._writer, False
        try:
            conn = await link.connection()
            async with conn.pipeline() if pipeline else contextlib.nullcontext(), conn.transaction():
                begun = True
                if token is not None:
                    await conn.execute("SELECT lease_check(%s, %s)", [token.name, token.epoch])
                return await fn(conn, *args, **kw)
        except psycopg.Error as exc:
            if may_retry and not begun and link.broken:
                raise _DeadAtBegin from None
            raise link.error(fn.__name__, exc) from None
        except asyncio.CancelledError:
            link.drop()  # a query may be in flight: start from a fresh connection
            raise

    async def _read(
        self, fn: Callable[Concatenate[Conn, P], Awaitable[T]], *args: P.args, **kw: P.kwargs
    ) -> T:
        if self._closed:
            raise StorageError(f"store {self.where} is closed")
        try:
            return await self._read_once(fn, *args, **kw)
        except StorageError:
            if not self._reader.broken:
                raise
        return await self._read_once(fn, *args, **kw)  # the connection was lost: a read may run again

    async def _read_once(
        self, fn: Callable[Concatenate[Conn, P], Awaitable[T]], *args: P.args, **kw: P.kwargs
    ) -> T:
        link = self._reader
        try:
            return await fn(await link.connection(), *args, **kw)
        except psycopg.Error as exc:
            raise link.error(fn.__name__, exc) from None
        except asyncio.CancelledError:
            link.drop()
            raise

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._writer.lock:
            await self._writer.close()
        await self._reader.close()
        logger.info("postgresql store at %s closed", self.where)

    # chats and bindings --------------------------------------------------------------------
    async def ensure_chat(self, chat: ChatRef, *, title: str, language: str, timezone: str) -> ChatSettings:
        return await self._write(chats.ensure_chat, chat, title, language, timezone)

    async def get_chat(self, chat: ChatRef) -> ChatSettings | None:
        return await self._read(chats.get_chat, chat)

    async def update_chat(self, settings: ChatSettings) -> None:
        await self._write(chats.update_chat, settings)

    async def list_chats(self) -> list[ChatSettings]:
        return await self._read(chats.list_chats)

    async def migrate_chat(self, old: ChatRef, new: ChatRef) -> None:
        await self._write(chats.migrate_chat, old, new)

    async def bind(self, chat: ChatRef, ext: str) -> bool:
        return await self._write(chats.bind, chat, ext)

    async def unbind(self, chat: ChatRef, ext: str | None) -> list[str]:
        return await self._write(chats.unbind, chat, ext)

    async def extensions_of(self, chat: ChatRef) -> list[str]:
        return await self._read(chats.extensions_of, chat)

    async def chats_of(self, ext: str) -> list[ChatRef]:
        return await self._read(chats.chats_of, ext)

    async def bindings(self) -> dict[str, list[ChatRef]]:
        return await self._read(chats.bindings)

    # people and roles ------------------------------------------------------------------------
    async def remember_person(self, user: UserRef) -> None:
        await self._write(people.remember_person, user)

    async def find_person(self, platform: str, handle: str) -> UserRef | None:
        return await self._read(people.find_person, platform, handle)

    async def find_people(self, platform: str, username: str) -> list[UserRef]:
        return await self._read(people.find_people, platform, username)

    async def grant(self, platform: str, user_id: str, role: Role, scope: str) -> None:
        await self._write(people.grant, platform, user_id, role, scope)

    async def revoke(self, platform: str, user_id: str, scope: str | None) -> int:
        return await self._write(people.revoke, platform, user_id, scope)

    async def revoke_keeping_an_admin(self, platform: str, user_id: str) -> int | None:
        return await self._write(people.revoke_keeping_an_admin, platform, user_id)

    async def roles_of(self, platform: str, user_id: str) -> dict[str, Role]:
        return await self._read(people.roles_of, platform, user_id)

    async def list_grants(self) -> list[Grant]:
        return await self._read(people.list_grants)

    async def add_pairing_code(self, code: str, expires_at: float) -> None:
        await self._write(people.add_pairing_code, keyed_hash(self._secret, code), expires_at)

    async def redeem_pairing_code(self, code: str, now: float) -> bool:
        return await self._write(people.redeem_pairing_code, keyed_hash(self._secret, code), now)

    # outbox ------------------------------------------------------------------------------------
    async def enqueue(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> bool:
        return await self._write(outbox.enqueue, dedup_key, chat, alert, now)

    async def upsert_card(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> None:
        await self._write(outbox.upsert_card, dedup_key, chat, alert, now)

    async def due(self, now: float, limit: int = 100) -> list[OutboxEntry]:
        entries, bad = await self._read(outbox.due, now, limit)
        if bad:
            await self._write(outbox.retire, bad)
        return entries

    async def pending_for_chat(self, chat: ChatRef) -> list[OutboxEntry]:
        entries, bad = await self._read(outbox.pending_for_chat, chat)
        if bad:
            await self._write(outbox.retire, bad)
        return entries

    async def undelivered_ids(self, limit: int) -> list[int]:
        return await self._read(outbox.undelivered_ids, limit)

    async def mark_delivered(
        self, ids: list[int], message_id: str | None = None, version: int | None = None
    ) -> None:
        if ids:
            await self._write(outbox.mark_delivered, list(ids), message_id, version)

    async def reschedule(self, ids: list[int], next_attempt_at: float, error: str) -> None:
        if ids:
            await self._write(outbox.reschedule, list(ids), next_attempt_at, error)

    async def outbox_depth(self) -> int:
        return await self._read(outbox.outbox_depth)

    async def next_due_at(self) -> float | None:
        return await self._read(outbox.next_due_at)

    async def prune(self, *, delivered_before: float, audit_before: float) -> tuple[int, int]:
        return await self._write(records.prune, delivered_before, audit_before)

    async def apply(self, writes: Sequence[Write]) -> list[OutboxEntry | None]:
        ops = batch.checked(writes)  # an unknown op fails the batch before anything is sent
        return await self._transaction(True, batch.apply, ops) if ops else []

    # tracked calls, finished calls, audit, settings ---------------------------------------------
    async def save_call(self, call_id: str, snapshot: dict[str, Any], updated_at: float) -> None:
        await self._write(records.save_call, call_id, snapshot, updated_at)

    async def delete_call(self, call_id: str) -> None:
        await self._write(records.delete_call, call_id)

    async def load_calls(self) -> list[dict[str, Any]]:
        return await self._read(records.load_calls)

    async def record_call(self, record: CallRecord) -> None:
        await self._write(records.record_call, record)

    async def calls_between(self, start_ms: int, end_ms: int) -> list[CallRecord]:
        return await self._read(records.calls_between, start_ms, end_ms)

    async def missed_alerts(self, call_id: str) -> list[OutboxEntry]:
        return await self._read(records.missed_alerts, call_id)

    async def entries_of_message(self, chat: ChatRef, message_id: str) -> list[OutboxEntry]:
        return await self._read(records.entries_of_message, chat, message_id)

    async def audit(self, entry: AuditEntry) -> None:
        await self._write(records.audit, entry)

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        return await self._read(records.recent_audit, limit)

    async def get_setting(self, key: str) -> str | None:
        return await self._read(records.get_setting, key)

    async def set_setting(self, key: str, value: str | None) -> None:
        await self._write(records.set_setting, key, value)


class _DeadAtBegin(Exception):
    """The writer's connection was found dead at BEGIN: nothing ran."""
