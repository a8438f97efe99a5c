"""Outbox table of the SQLite store (synchronous, on the store's thread).

Dedup is the UNIQUE ``dedup_key`` (done rows are kept until retention prunes them, so a key is
remembered for that long); a card row is re-armed by bumping ``version`` and is done once
``delivered_version`` catches up.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlite_utils import Database

from bot.domain import Alert, ChatRef, OutboxEntry, alert_from_dict, alert_to_dict
from storage.sqlite_rows import chat_key, rows, scalar

logger = logging.getLogger(__name__)

_LIVE = (  # undelivered rows of chats that are not known to be inactive
    "done = 0 AND NOT EXISTS (SELECT 1 FROM chats c WHERE c.platform = o.platform "
    "AND c.chat_id = o.chat_id AND c.active = 0)"
)


def _values(dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> list[Any]:
    return [dedup_key, *chat_key(chat), alert.kind, json.dumps(alert_to_dict(alert)), now, now]


_INSERT = (
    "INTO outbox (dedup_key, platform, chat_id, kind, payload, created_at, next_attempt_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def enqueue(db: Database, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> bool:
    return enqueue_entry(db, dedup_key, chat, alert, now) is not None


def enqueue_entry(
    db: Database, dedup_key: str, chat: ChatRef, alert: Alert, now: float
) -> OutboxEntry | None:
    """Insert unless the key exists; the new row as an entry (as ``due`` reads it), else None."""
    cursor = db.execute(f"INSERT OR IGNORE {_INSERT}", _values(dedup_key, chat, alert, now))
    if cursor.rowcount != 1 or cursor.lastrowid is None:
        return None
    return OutboxEntry(cursor.lastrowid, dedup_key, chat, alert, now, 0, now)


def upsert_card(db: Database, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> None:
    db.execute(
        f"INSERT {_INSERT} ON CONFLICT (dedup_key) DO UPDATE SET kind = excluded.kind, "
        "payload = excluded.payload, version = version + 1, "
        "next_attempt_at = excluded.next_attempt_at, done = 0",
        _values(dedup_key, chat, alert, now),
    )


Unreadable = list[tuple[int, str]]  # (row id, why) of rows whose payload no longer parses


def _entries(db: Database, where: str, params: list[Any]) -> tuple[list[OutboxEntry], Unreadable]:
    """Rows as entries, and the rows whose payload no longer parses (logged; see ``retire``)."""
    out, bad = [], []
    for r in rows(db, f"SELECT * FROM outbox o WHERE {where}", params):
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


def entries_where(db: Database, where: str, params: list[Any]) -> list[OutboxEntry]:
    """Entries (done or not) matching ``where`` (for follow-ups, which edit delivered alerts);
    unreadable rows are logged by ``_entries`` and left out."""
    return _entries(db, where, params)[0]


def retire(db: Database, bad: Unreadable) -> None:
    """Mark unreadable rows done, keeping why for operators (a write: the store thread)."""
    db.conn.executemany("UPDATE outbox SET done = 1, last_error = ? WHERE id = ?", [(e, i) for i, e in bad])


def due(db: Database, now: float, limit: int) -> tuple[list[OutboxEntry], Unreadable]:
    return _entries(db, f"{_LIVE} AND next_attempt_at <= ? ORDER BY id LIMIT ?", [now, max(limit, 0)])


def pending_for_chat(db: Database, chat: ChatRef) -> tuple[list[OutboxEntry], Unreadable]:
    return _entries(db, "done = 0 AND platform = ? AND chat_id = ? ORDER BY id", list(chat_key(chat)))


def undelivered_ids(db: Database, limit: int) -> list[int]:
    sql = f"SELECT id FROM outbox o WHERE {_LIVE} ORDER BY id LIMIT ?"
    return [int(r[0]) for r in db.execute(sql, [max(limit, 0)]).fetchall()]


def mark_delivered(db: Database, ids: list[int], message_id: str | None, version: int | None) -> None:
    db.conn.executemany(  # SET expressions all read the old row, so ``done`` sees the old version
        "UPDATE outbox SET message_id = coalesce(?1, message_id), "
        "delivered_version = max(delivered_version, coalesce(?2, version)), "
        "done = max(delivered_version, coalesce(?2, version)) >= version, "
        "attempts = 0, last_error = '' WHERE id = ?3",
        [(message_id, version, i) for i in ids],
    )


def reschedule(db: Database, ids: list[int], next_attempt_at: float, error: str) -> None:
    db.conn.executemany(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
        [(next_attempt_at, error, i) for i in ids],
    )


def outbox_depth(db: Database) -> int:
    return int(scalar(db, f"SELECT count(*) FROM outbox o WHERE {_LIVE}"))


def next_due_at(db: Database) -> float | None:
    value = scalar(db, f"SELECT min(next_attempt_at) FROM outbox o WHERE {_LIVE}")
    return None if value is None else float(value)


def move_undelivered(db: Database, old: ChatRef, new: ChatRef) -> None:
    """Re-home undelivered rows; a message of the old chat cannot be edited, so cards post anew."""
    db.execute(
        "UPDATE outbox SET platform = ?, chat_id = ?, message_id = NULL, delivered_version = 0 "
        "WHERE done = 0 AND platform = ? AND chat_id = ?",
        [*chat_key(new), *chat_key(old)],
    )


def prune_done(db: Database, before: float) -> int:
    """Delete done rows created before ``before`` (retention); undelivered rows always stay."""
    return int(db.execute("DELETE FROM outbox WHERE done = 1 AND created_at < ?", [before]).rowcount)
