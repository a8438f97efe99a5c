"""Row helpers shared by the SQLite store's table modules (run on the store's thread only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from bot.domain import ChatRef, ChatSettings

EXT_ORDER = "length(ext), ext"  # extensions sort numerically when they are digits

CHAT_COLUMNS = (
    "title, language, timezone, active, alert_missed, alert_registration, alert_calls, "
    "alert_all_missed, alert_internal, quiet_start, quiet_end"
)


def rows(db: Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    return list(db.query(sql, list(params)))


def scalar(db: Database, sql: str, params: Sequence[Any] = ()) -> Any:
    row = db.execute(sql, list(params)).fetchone()
    return None if row is None else row[0]


def chat_key(chat: ChatRef) -> tuple[str, str]:
    return (chat.platform, chat.chat_id)


def chat_from_row(row: dict[str, Any]) -> ChatSettings:
    return ChatSettings(
        chat=ChatRef(row["platform"], row["chat_id"]),
        title=row["title"],
        language=row["language"],
        timezone=row["timezone"],
        active=bool(row["active"]),
        alert_missed=bool(row["alert_missed"]),
        alert_registration=bool(row["alert_registration"]),
        alert_calls=bool(row["alert_calls"]),
        alert_all_missed=bool(row["alert_all_missed"]),
        alert_internal=bool(row["alert_internal"]),
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
    )


def chat_values(s: ChatSettings) -> tuple[Any, ...]:
    """Values in ``CHAT_COLUMNS`` order."""
    return (
        s.title, s.language, s.timezone, int(s.active), int(s.alert_missed),
        int(s.alert_registration), int(s.alert_calls), int(s.alert_all_missed),
        int(s.alert_internal), s.quiet_start, s.quiet_end,
    )  # fmt: skip
