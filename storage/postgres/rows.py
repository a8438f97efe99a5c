"""Row helpers shared by the PostgreSQL store's table modules (each runs inside the caller's
transaction, or in autocommit for reads)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from bot.domain import ChatRef, ChatSettings

Conn = AsyncConnection[Any]

EXT_ORDER = "length(ext), ext"  # extensions sort numerically when they are digits

CHAT_COLUMNS = (
    "title, language, timezone, active, alert_missed, alert_registration, alert_calls, "
    "alert_all_missed, alert_internal, quiet_start, quiet_end"
)


async def rows(conn: Conn, sql: LiteralString, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql, params)
    return await cur.fetchall()


async def scalar(conn: Conn, sql: LiteralString, params: Sequence[Any] = ()) -> Any:
    cur = await conn.execute(sql, params)
    row = await cur.fetchone()
    return None if row is None else row[0]


async def rowcount(conn: Conn, sql: LiteralString, params: Sequence[Any] = ()) -> int:
    cur = await conn.execute(sql, params)
    return int(cur.rowcount)


def chat_key(chat: ChatRef) -> tuple[str, str]:
    return (chat.platform, chat.chat_id)


def chat_from_row(row: dict[str, Any]) -> ChatSettings:
    return ChatSettings(
        chat=ChatRef(row["platform"], row["chat_id"]),
        title=row["title"], language=row["language"], timezone=row["timezone"],
        active=row["active"], alert_missed=row["alert_missed"],
        alert_registration=row["alert_registration"], alert_calls=row["alert_calls"],
        alert_all_missed=row["alert_all_missed"], alert_internal=row["alert_internal"],
        quiet_start=row["quiet_start"], quiet_end=row["quiet_end"],
    )  # fmt: skip


def chat_values(s: ChatSettings) -> tuple[Any, ...]:
    """Values in ``CHAT_COLUMNS`` order."""
    return (
        s.title, s.language, s.timezone, s.active, s.alert_missed, s.alert_registration,
        s.alert_calls, s.alert_all_missed, s.alert_internal, s.quiet_start, s.quiet_end,
    )  # fmt: skip
