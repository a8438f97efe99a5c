"""Tracked calls, finished-call records, audit and settings of the PostgreSQL store (the twin of
storage/sqlite_records.py and storage/sqlite_calls.py). JSON goes in text columns as in SQLite,
so both stores hold the same bytes; stamps are clamped to 64 bits (:func:`storage.values.i64`)."""

from __future__ import annotations

import json
from typing import Any

from bot.domain import AuditEntry, CallRecord, ChatRef, OutboxEntry
from storage.postgres.outbox import entries, prune_done
from storage.postgres.rows import Conn, chat_key, rowcount, rows, scalar
from storage.values import i64

_AUDIT = "at, platform, chat_id, user_id, user_display, command, args, allowed, result"
_RECORD = (
    "call_id, start_ms, direction, caller, callee, number_key, extensions, answered_by, verdict, "
    "ring_s, talk_s, resolution, resolved_by, resolved_name, resolved_ms, tries"
)
SAVE_CALL = (
    "INSERT INTO tracked_calls (call_id, snapshot, updated_at) VALUES (%s, %s, %s) "
    "ON CONFLICT (call_id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at"
)
DELETE_CALL = "DELETE FROM tracked_calls WHERE call_id = %s"
SET_SETTING = (
    "INSERT INTO settings (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
DELETE_SETTING = "DELETE FROM settings WHERE key = %s"
RECORD_CALL = (
    f"INSERT INTO call_records ({_RECORD}) VALUES ({', '.join(['%s'] * 16)}) "
    "ON CONFLICT (call_id) DO UPDATE SET "
    + ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in _RECORD.split(",")[1:])
)


def call_values(call_id: str, snapshot: dict[str, Any], updated_at: float) -> list[Any]:
    return [call_id, json.dumps(snapshot), updated_at]


def record_values(rec: CallRecord) -> list[Any]:
    return [
        rec.call_id, i64(rec.start_ms), rec.direction, rec.caller, rec.callee, rec.number_key,
        json.dumps(list(rec.extensions)), rec.answered_by, rec.verdict, rec.ring_s, rec.talk_s,
        rec.resolution, rec.resolved_by, rec.resolved_name, i64(rec.resolved_ms),
        json.dumps([list(t) for t in rec.tries]),
    ]  # fmt: skip


async def save_call(conn: Conn, call_id: str, snapshot: dict[str, Any], updated_at: float) -> None:
    await conn.execute(SAVE_CALL, call_values(call_id, snapshot, updated_at))


async def delete_call(conn: Conn, call_id: str) -> None:
    await conn.execute(DELETE_CALL, [call_id])


async def load_calls(conn: Conn) -> list[dict[str, Any]]:
    found = await rows(conn, "SELECT snapshot FROM tracked_calls ORDER BY updated_at, call_id")
    return [json.loads(r["snapshot"]) for r in found]


async def record_call(conn: Conn, rec: CallRecord) -> None:
    await conn.execute(RECORD_CALL, record_values(rec))


def _record(r: dict[str, Any]) -> CallRecord:
    return CallRecord(
        r["call_id"], r["start_ms"], r["direction"], r["caller"], r["callee"], r["number_key"],
        tuple(json.loads(r["extensions"])), r["answered_by"], r["verdict"], r["ring_s"], r["talk_s"],
        r["resolution"], r["resolved_by"], r["resolved_name"], r["resolved_ms"],
        tuple((str(e), int(ms)) for e, ms in json.loads(r["tries"])),
    )  # fmt: skip


async def calls_between(conn: Conn, start_ms: int, end_ms: int) -> list[CallRecord]:
    where = "start_ms >= %s AND start_ms < %s ORDER BY start_ms, call_id"
    sql = f"SELECT {_RECORD} FROM call_records WHERE {where}"
    return [_record(r) for r in await rows(conn, sql, [i64(start_ms), i64(end_ms)])]


async def missed_alerts(conn: Conn, call_id: str) -> list[OutboxEntry]:
    return (await entries(conn, "starts_with(o.dedup_key, %s) ORDER BY o.id", [f"missed:{call_id}:"]))[0]


async def entries_of_message(conn: Conn, chat: ChatRef, message_id: str) -> list[OutboxEntry]:
    where = "o.platform = %s AND o.chat_id = %s AND o.message_id = %s ORDER BY o.id"
    return (await entries(conn, where, [*chat_key(chat), message_id]))[0]


async def audit(conn: Conn, e: AuditEntry) -> None:
    await conn.execute(
        f"INSERT INTO audit ({_AUDIT}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [e.at, e.platform, e.chat_id, e.user_id, e.user_display, e.command, e.args, e.allowed, e.result],
    )


async def recent_audit(conn: Conn, limit: int) -> list[AuditEntry]:
    found = await rows(conn, f"SELECT {_AUDIT} FROM audit ORDER BY id DESC LIMIT %s", [max(limit, 0)])
    return [AuditEntry(**r) for r in found]


async def get_setting(conn: Conn, key: str) -> str | None:
    value = await scalar(conn, "SELECT value FROM settings WHERE key = %s", [key])
    return None if value is None else str(value)


async def set_setting(conn: Conn, key: str, value: str | None) -> None:
    if value is None:
        await conn.execute(DELETE_SETTING, [key])
    else:
        await conn.execute(SET_SETTING, [key, value])


async def prune(conn: Conn, delivered_before: float, audit_before: float) -> tuple[int, int]:
    """Retention in one transaction: done outbox rows, stale tracked calls, old records, old audit."""
    await conn.execute("DELETE FROM tracked_calls WHERE updated_at < %s", [delivered_before])
    await conn.execute("DELETE FROM call_records WHERE start_ms < %s", [int(delivered_before * 1000)])
    done = await prune_done(conn, delivered_before)
    return done, await rowcount(conn, "DELETE FROM audit WHERE at < %s", [audit_before])
