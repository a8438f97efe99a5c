"""Outbox of the PostgreSQL store (storage/sqlite_outbox.py's twin).

Dedup is the UNIQUE ``dedup_key`` (done rows stay until retention prunes them, so a key is
remembered that long); a card is re-armed by bumping ``version`` and is done once
``delivered_version`` catches up. Batched ids go as one ``= ANY(array)`` statement.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.domain import Alert, ChatRef, OutboxEntry, alert_from_dict, alert_to_dict
from storage.postgres.rows import Conn, chat_key, rowcount, rows, scalar

logger = logging.getLogger(__name__)

_LIVE = (  # undelivered rows of chats that are not known to be inactive
    "NOT o.done AND NOT EXISTS (SELECT 1 FROM chats c WHERE c.platform = o.platform "
    "AND c.chat_id = o.chat_id AND NOT c.active)"
)
_INSERT = (
    "INSERT INTO outbox AS o (dedup_key, platform, chat_id, kind, payload, created_at, next_attempt_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) "
)
ENQUEUE = _INSERT + "ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
UPSERT_CARD = _INSERT + (
    "ON CONFLICT (dedup_key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, "
    "version = o.version + 1, next_attempt_at = excluded.next_attempt_at, done = false"
)


def values(dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> list[Any]:
    """Parameters of ``ENQUEUE`` and ``UPSERT_CARD``."""
    return [dedup_key, *chat_key(chat), alert.kind, json.dumps(alert_to_dict(alert)), now, now]


def new_entry(row_id: int, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> OutboxEntry:
    """A just-enqueued row as ``due`` reads it back (the short path's entry)."""
    return OutboxEntry(row_id, dedup_key, chat, alert, now, 0, now)


async def enqueue(conn: Conn, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> bool:
    return await scalar(conn, ENQUEUE, values(dedup_key, chat, alert, now)) is not None


async def upsert_card(conn: Conn, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> None:
    await conn.execute(UPSERT_CARD, values(dedup_key, chat, alert, now))


Unreadable = list[tuple[int, str]]  # (row id, why) of rows whose payload no longer parses


async def entries(conn: Conn, where: str, params: list[Any]) -> tuple[list[OutboxEntry], Unreadable]:
    """Rows as entries, and the rows whose payload no longer parses (logged; see ``retire``)."""
    out, bad = [], []
    for r in await rows(conn, f"SELECT * FROM outbox o WHERE {where}", params):
        try:
            alert = alert_from_dict(json.loads(r["payload"]))
        except (ValueError, TypeError, KeyError) as exc:
            logger.error("outbox row %s has an unreadable payload, dropped: %s", r["id"], exc)
            bad.append((int(r["id"]), f"unreadable payload: {exc}"))
            continue
        out.append(OutboxEntry(
            r["id"], r["dedup_key"], ChatRef(r["platform"], r["chat_id"]), alert, r["created_at"],
            r["attempts"], r["next_attempt_at"], r["message_id"], r["version"],
            r["delivered_version"], r["last_error"],
        ))  # fmt: skip
    return out, bad


async def retire(conn: Conn, bad: Unreadable) -> None:
    """Mark unreadable rows done, keeping why for operators (a write)."""
    cur = conn.cursor()
    await cur.executemany(
        "UPDATE outbox SET done = true, last_error = %s WHERE id = %s", [(e, i) for i, e in bad]
    )


async def due(conn: Conn, now: float, limit: int) -> tuple[list[OutboxEntry], Unreadable]:
    return await entries(
        conn, f"{_LIVE} AND o.next_attempt_at <= %s ORDER BY o.id LIMIT %s", [now, max(limit, 0)]
    )


async def pending_for_chat(conn: Conn, chat: ChatRef) -> tuple[list[OutboxEntry], Unreadable]:
    return await entries(
        conn, "NOT o.done AND o.platform = %s AND o.chat_id = %s ORDER BY o.id", [*chat_key(chat)]
    )


async def undelivered_ids(conn: Conn, limit: int) -> list[int]:
    cur = await conn.execute(
        f"SELECT o.id FROM outbox o WHERE {_LIVE} ORDER BY o.id LIMIT %s", [max(limit, 0)]
    )
    return [int(r[0]) for r in await cur.fetchall()]


async def mark_delivered(conn: Conn, ids: list[int], message_id: str | None, version: int | None) -> None:
    await conn.execute(  # SET expressions all read the old row, so ``done`` sees the old version
        "UPDATE outbox SET message_id = coalesce(%(m)s, message_id), "
        "delivered_version = greatest(delivered_version, coalesce(%(v)s::integer, version)), "
        "done = greatest(delivered_version, coalesce(%(v)s::integer, version)) >= version, "
        "attempts = 0, last_error = '' WHERE id = ANY(%(ids)s::bigint[])",
        {"m": message_id, "v": version, "ids": ids},
    )


async def reschedule(conn: Conn, ids: list[int], next_attempt_at: float, error: str) -> None:
    await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = %s, last_error = %s "
        "WHERE id = ANY(%s::bigint[])",
        [next_attempt_at, error, ids],
    )


async def outbox_depth(conn: Conn) -> int:
    return int(await scalar(conn, f"SELECT count(*) FROM outbox o WHERE {_LIVE}"))


async def next_due_at(conn: Conn) -> float | None:
    value = await scalar(conn, f"SELECT min(o.next_attempt_at) FROM outbox o WHERE {_LIVE}")
    return None if value is None else float(value)


async def move_undelivered(conn: Conn, old: ChatRef, new: ChatRef) -> None:
    """Re-home undelivered rows; a message of the old chat cannot be edited, so cards post anew."""
    await conn.execute(
        "UPDATE outbox SET platform = %s, chat_id = %s, message_id = NULL, delivered_version = 0 "
        "WHERE NOT done AND platform = %s AND chat_id = %s",
        [*chat_key(new), *chat_key(old)],
    )


async def prune_done(conn: Conn, before: float) -> int:
    """Delete done rows created before ``before`` (retention); undelivered rows always stay."""
    return await rowcount(conn, "DELETE FROM outbox WHERE done AND created_at < %s", [before])
