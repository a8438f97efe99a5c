"""Versioned schema of the SQLite store, applied with sqlite-utils' ``Migrations``.

Strategy: migrations are append-only, named ``mNNN_*`` and recorded in ``_sqlite_migrations``;
an old database is upgraded in place at open, each step in its own transaction.
"""

from __future__ import annotations

import logging

from sqlite_utils import Database, Migrations

logger = logging.getLogger(__name__)

MIGRATIONS = Migrations("onpbx-bot")

_INITIAL = """
CREATE TABLE chats (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'ru',
    timezone TEXT NOT NULL DEFAULT 'Europe/Moscow',
    active INTEGER NOT NULL DEFAULT 1,
    alert_missed INTEGER NOT NULL DEFAULT 1,
    alert_registration INTEGER NOT NULL DEFAULT 1,
    alert_calls INTEGER NOT NULL DEFAULT 0,
    alert_all_missed INTEGER NOT NULL DEFAULT 0,
    quiet_start TEXT,
    quiet_end TEXT,
    PRIMARY KEY (platform, chat_id)
);
CREATE TABLE bindings (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    ext TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id, ext),
    FOREIGN KEY (platform, chat_id) REFERENCES chats (platform, chat_id)
        ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX bindings_by_ext ON bindings (ext);
CREATE TABLE people (
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    display TEXT NOT NULL DEFAULT '',
    username TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (platform, user_id)
);
CREATE TABLE grants (
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    role INTEGER NOT NULL,
    PRIMARY KEY (platform, user_id, scope)
);
CREATE TABLE pairing_codes (
    code_hash TEXT PRIMARY KEY,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    message_id TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    delivered_version INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE done = 0;
CREATE INDEX outbox_by_chat ON outbox (platform, chat_id) WHERE done = 0;
CREATE TABLE tracked_calls (
    call_id TEXT PRIMARY KEY,
    snapshot TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_display TEXT NOT NULL,
    command TEXT NOT NULL,
    args TEXT NOT NULL,
    allowed INTEGER NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    """The first released schema."""
    for statement in _INITIAL.split(";"):
        if statement.strip():
            db.execute(statement)


@MIGRATIONS()
def m002_internal_alerts_and_errors(db: Database) -> None:
    """Per-chat internal missed-call alerts, the last delivery error for operators, and a
    case-insensitive username index for ``/grant @username``."""
    db.table("chats").add_column("alert_internal", int, not_null_default=0)
    db.table("outbox").add_column("last_error", str, not_null_default="")
    db.execute("CREATE INDEX people_by_username ON people (platform, username COLLATE NOCASE)")


@MIGRATIONS()
def m003_call_records_issue13(db: Database) -> None:
    """One row per finished call, for /missed, reports and self-resolving alerts (issue 13)."""
    db.execute(
        "CREATE TABLE call_records (call_id TEXT PRIMARY KEY, start_ms INTEGER NOT NULL, "
        "direction TEXT NOT NULL, caller TEXT NOT NULL, callee TEXT NOT NULL, "
        "number_key TEXT NOT NULL, extensions TEXT NOT NULL DEFAULT '[]', "
        "answered_by TEXT NOT NULL DEFAULT '', verdict TEXT NOT NULL, "
        "ring_s REAL NOT NULL DEFAULT 0, talk_s REAL NOT NULL DEFAULT 0, "
        "resolution TEXT NOT NULL DEFAULT '', resolved_by TEXT NOT NULL DEFAULT '', "
        "resolved_name TEXT NOT NULL DEFAULT '', resolved_ms INTEGER NOT NULL DEFAULT 0, "
        "tries TEXT NOT NULL DEFAULT '[]')"
    )
    db.execute("CREATE INDEX call_records_by_start ON call_records (start_ms)")


@MIGRATIONS()
def m004_issue14_outbox_live_by_id(db: Database) -> None:
    """Undelivered outbox rows in id order (#14): the delivery worker's ``due`` query walks only
    them instead of scanning every row kept for retention (3.9 ms a pass at 20,000 done rows)."""
    db.execute("CREATE INDEX outbox_live_by_id ON outbox (id) WHERE done = 0")


@MIGRATIONS()
def m005_issue19_people_org(db: Database) -> None:
    """People carry their organisation (Slack team or Enterprise Grid id; "" where there is
    none), so /grant can refuse a person of another organisation however they are named."""
    db.table("people").add_column("org", str, not_null_default="")


LATEST = "m005_issue19_people_org"  # the newest migration


def upgrade(db: Database, *, stop_before: str | None = None) -> list[str]:
    """Apply every pending migration (or those before ``stop_before``); returns their names."""
    pending = [m.name for m in MIGRATIONS.pending(db)]
    if stop_before is not None and stop_before in pending:
        pending = pending[: pending.index(stop_before)]
    MIGRATIONS.apply(db, stop_before=stop_before)
    if pending:
        logger.info("database upgraded: %s", ", ".join(pending))
    return pending
