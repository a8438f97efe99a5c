"""Group commit on PostgreSQL (bot/writes.py): every op of a batch as its own statement, in
order, inside the caller's pipelined transaction; the new outbox rows' ids are read once all
statements have gone, so the batch costs about one round trip."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncCursor

from bot.domain import OutboxEntry
from bot.errors import StorageError
from bot.writes import DeleteCall, Enqueue, RecordCall, SaveCall, SetSetting, UpsertCard, Write
from storage.postgres import outbox, records
from storage.postgres.rows import Conn

KNOWN = (Enqueue, UpsertCard, SaveCall, DeleteCall, SetSetting, RecordCall)


def checked(writes: Sequence[Write]) -> list[Write]:
    """The ops as a list; StorageError for one this store does not know (nothing is sent)."""
    ops = list(writes)
    for op in ops:
        if not isinstance(op, KNOWN):
            raise StorageError(f"unknown write {type(op).__name__}")
    return ops


async def apply(conn: Conn, ops: list[Write]) -> list[OutboxEntry | None]:
    """One result per op: the new entry of an ``Enqueue`` whose key was new, else None."""
    enqueued: list[tuple[int, AsyncCursor[tuple[int]], Enqueue]] = []
    for i, op in enumerate(ops):
        if isinstance(op, Enqueue):
            cur = await conn.execute(outbox.ENQUEUE, outbox.values(op.dedup_key, op.chat, op.alert, op.now))
            enqueued.append((i, cur, op))
        elif isinstance(op, UpsertCard):
            await conn.execute(outbox.UPSERT_CARD, outbox.values(op.dedup_key, op.chat, op.alert, op.now))
        elif isinstance(op, SaveCall):
            await conn.execute(records.SAVE_CALL, records.call_values(op.call_id, op.snapshot, op.updated_at))
        elif isinstance(op, DeleteCall):
            await conn.execute(records.DELETE_CALL, [op.call_id])
        elif isinstance(op, SetSetting):
            if op.value is None:
                await conn.execute(records.DELETE_SETTING, [op.key])
            else:
                await conn.execute(records.SET_SETTING, [op.key, op.value])
        else:
            await conn.execute(records.RECORD_CALL, records.record_values(op.record))
    results: list[OutboxEntry | None] = [None] * len(ops)
    for i, cur, op in enqueued:
        row = await cur.fetchone()
        if row is not None:
            results[i] = outbox.new_entry(int(row[0]), op.dedup_key, op.chat, op.alert, op.now)
    return results
