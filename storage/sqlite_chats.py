"""Chats and bindings tables of the SQLite store: synchronous functions that run inside the
store's transaction on its own thread. Bindings follow a chat's key by ON UPDATE CASCADE."""

from __future__ import annotations

import dataclasses
import logging

from sqlite_utils import Database

from bot.domain import ChatRef, ChatSettings
from bot.errors import StorageError
from storage.sqlite_outbox import move_undelivered
from storage.sqlite_rows import CHAT_COLUMNS, EXT_ORDER, chat_from_row, chat_key, chat_values, rows

logger = logging.getLogger(__name__)

_SET_CHAT = ", ".join(f"{c.strip()} = ?" for c in CHAT_COLUMNS.split(","))
_BY_CHAT = "platform = ? AND chat_id = ?"


def ensure_chat(db: Database, chat: ChatRef, title: str, language: str, timezone: str) -> ChatSettings:
    db.execute(
        "INSERT INTO chats (platform, chat_id, title, language, timezone) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (platform, chat_id) DO UPDATE SET active = 1, "
        "title = CASE WHEN excluded.title <> '' THEN excluded.title ELSE chats.title END",
        [*chat_key(chat), title, language, timezone],
    )
    found = get_chat(db, chat)
    assert found is not None
    return found


def get_chat(db: Database, chat: ChatRef) -> ChatSettings | None:
    found = rows(db, f"SELECT * FROM chats WHERE {_BY_CHAT}", chat_key(chat))
    return chat_from_row(found[0]) if found else None


def update_chat(db: Database, settings: ChatSettings) -> None:
    cursor = db.execute(
        f"UPDATE chats SET {_SET_CHAT} WHERE {_BY_CHAT}",
        [*chat_values(settings), *chat_key(settings.chat)],
    )
    if cursor.rowcount == 0:
        raise StorageError(f"cannot update unknown chat {settings.chat}")


def list_chats(db: Database) -> list[ChatSettings]:
    return [chat_from_row(r) for r in rows(db, "SELECT * FROM chats ORDER BY platform, chat_id")]


def migrate_chat(db: Database, old: ChatRef, new: ChatRef) -> None:
    if get_chat(db, new) is None:
        db.execute(  # bindings follow by ON UPDATE CASCADE
            f"UPDATE chats SET platform = ?, chat_id = ? WHERE {_BY_CHAT}", [*chat_key(new), *chat_key(old)]
        )
    else:
        settings = get_chat(db, old)
        if settings is not None:
            update_chat(db, dataclasses.replace(settings, chat=new))
        db.execute(
            f"INSERT OR IGNORE INTO bindings (platform, chat_id, ext) "
            f"SELECT ?, ?, ext FROM bindings WHERE {_BY_CHAT}",
            [*chat_key(new), *chat_key(old)],
        )
        db.execute(f"DELETE FROM chats WHERE {_BY_CHAT}", chat_key(old))  # cascades to bindings
    db.execute(
        "UPDATE OR REPLACE grants SET platform = ?, scope = ? WHERE platform = ? AND scope = ?",
        [*chat_key(new), *chat_key(old)],
    )
    move_undelivered(db, old, new)
    logger.info("chat %s migrated to %s", old, new)


def bind(db: Database, chat: ChatRef, ext: str) -> bool:
    if get_chat(db, chat) is None:
        raise StorageError(f"cannot bind unknown chat {chat}")
    cursor = db.execute("INSERT OR IGNORE INTO bindings (platform, chat_id, ext) VALUES (?, ?, ?)",
                        [*chat_key(chat), ext])  # fmt: skip
    return cursor.rowcount == 1


def unbind(db: Database, chat: ChatRef, ext: str | None) -> list[str]:
    where, params = _BY_CHAT, list(chat_key(chat))
    if ext is not None:
        where, params = f"{where} AND ext = ?", [*params, ext]
    found = rows(db, f"SELECT ext FROM bindings WHERE {where} ORDER BY {EXT_ORDER}", params)
    gone = [r["ext"] for r in found]
    db.execute(f"DELETE FROM bindings WHERE {where}", params)
    return gone


def extensions_of(db: Database, chat: ChatRef) -> list[str]:
    found = rows(db, f"SELECT ext FROM bindings WHERE {_BY_CHAT} ORDER BY {EXT_ORDER}", chat_key(chat))
    return [r["ext"] for r in found]


def bindings(db: Database) -> dict[str, list[ChatRef]]:
    out: dict[str, list[ChatRef]] = {}
    for ext, platform, chat_id in db.execute(
        "SELECT ext, platform, chat_id FROM bindings ORDER BY ext, platform, chat_id"
    ).fetchall():
        out.setdefault(ext, []).append(ChatRef(platform, chat_id))
    return out


def chats_of(db: Database, ext: str) -> list[ChatRef]:
    found = rows(db, "SELECT platform, chat_id FROM bindings WHERE ext = ? ORDER BY platform, chat_id", [ext])
    return [ChatRef(r["platform"], r["chat_id"]) for r in found]
