"""Tracked calls, audit and settings tables of the SQLite store (synchronous, store thread)."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from bot.domain import AuditEntry
from storage.sqlite_rows import rows, scalar

_AUDIT = "at, platform, chat_id, user_id, user_display, command, args, allowed, result"


def save_call(db: Database, call_id: str, snapshot: dict[str, Any], updated_at: float) -> None:
    db.execute(
        "INSERT OR REPLACE INTO tracked_calls (call_id, snapshot, updated_at) VALUES (?, ?, ?)",
        [call_id, json.dumps(snapshot), updated_at],
    )


def delete_call(db: Database, call_id: str) -> None:
    db.execute("DELETE FROM tracked_calls WHERE call_id = ?", [call_id])


def load_calls(db: Database) -> list[dict[str, Any]]:
    found = rows(db, "SELECT snapshot FROM tracked_calls ORDER BY updated_at, call_id")
    return [json.loads(r["snapshot"]) for r in found]


def audit(db: Database, e: AuditEntry) -> None:
    db.execute(
        f"INSERT INTO audit ({_AUDIT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [e.at, e.platform, e.chat_id, e.user_id, e.user_display, e.command, e.args, int(e.allowed), e.result],
    )


def recent_audit(db: Database, limit: int) -> list[AuditEntry]:
    found = rows(db, f"SELECT {_AUDIT} FROM audit ORDER BY id DESC LIMIT ?", [max(limit, 0)])
    return [AuditEntry(**{**r, "allowed": bool(r["allowed"])}) for r in found]


def get_setting(db: Database, key: str) -> str | None:
    value = scalar(db, "SELECT value FROM settings WHERE key = ?", [key])
    return None if value is None else str(value)


def set_setting(db: Database, key: str, value: str | None) -> None:
    if value is None:
        db.execute("DELETE FROM settings WHERE key = ?", [key])
    else:
        db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", [key, value])


def prune_calls(db: Database, before: float) -> int:
    """Forget snapshots of calls not updated since ``before`` (they never ended cleanly)."""
    return int(db.execute("DELETE FROM tracked_calls WHERE updated_at < ?", [before]).rowcount)


def prune_audit(db: Database, before: float) -> int:
    return int(db.execute("DELETE FROM audit WHERE at < ?", [before]).rowcount)
