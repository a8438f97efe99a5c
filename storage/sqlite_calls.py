"""Finished-call records of the SQLite store (issue 13: /missed, reports, follow-ups).

Strategy: one row per call keyed by the tracker's call id, replaced whole when its resolution
changes; extensions and callback tries are JSON lists. Retention cuts on the call's start.
Stamps are clamped to 64 bits (:func:`storage.values.i64`): a PBX that sent 1e20 costs precision,
never the write.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from bot.domain import CallRecord, ChatRef, OutboxEntry
from storage.sqlite_outbox import entries_where
from storage.sqlite_rows import chat_key, rows
from storage.values import i64

_COLUMNS = (
    "call_id, start_ms, direction, caller, callee, number_key, extensions, answered_by, verdict, "
    "ring_s, talk_s, resolution, resolved_by, resolved_name, resolved_ms, tries"
)


def record_call(db: Database, rec: CallRecord) -> None:
    values = [
        rec.call_id, i64(rec.start_ms), rec.direction, rec.caller, rec.callee, rec.number_key,
        json.dumps(list(rec.extensions)), rec.answered_by, rec.verdict, rec.ring_s, rec.talk_s,
        rec.resolution, rec.resolved_by, rec.resolved_name, i64(rec.resolved_ms),
        json.dumps([list(t) for t in rec.tries]),
    ]  # fmt: skip
    db.execute(f"INSERT OR REPLACE INTO call_records ({_COLUMNS}) VALUES ({', '.join('?' * 16)})", values)


def _record(r: dict[str, Any]) -> CallRecord:
    return CallRecord(
        r["call_id"], r["start_ms"], r["direction"], r["caller"], r["callee"], r["number_key"],
        tuple(json.loads(r["extensions"])), r["answered_by"], r["verdict"], r["ring_s"], r["talk_s"],
        r["resolution"], r["resolved_by"], r["resolved_name"], r["resolved_ms"],
        tuple((str(e), int(ms)) for e, ms in json.loads(r["tries"])),
    )  # fmt: skip


def calls_between(db: Database, start_ms: int, end_ms: int) -> list[CallRecord]:
    sql = (f"SELECT {_COLUMNS} FROM call_records WHERE start_ms >= ? AND start_ms < ? "
           "ORDER BY start_ms, call_id")
    return [_record(r) for r in rows(db, sql, [i64(start_ms), i64(end_ms)])]


def missed_alerts(db: Database, call_id: str) -> list[OutboxEntry]:
    prefix = f"missed:{call_id}:"
    return entries_where(db, "substr(dedup_key, 1, ?) = ? ORDER BY id", [len(prefix), prefix])


def entries_of_message(db: Database, chat: ChatRef, message_id: str) -> list[OutboxEntry]:
    return entries_where(db, "platform = ? AND chat_id = ? AND message_id = ? ORDER BY id",
                         [*chat_key(chat), message_id])


def prune_records(db: Database, before_ms: int) -> int:
    return int(db.execute("DELETE FROM call_records WHERE start_ms < ?", [i64(before_ms)]).rowcount)
