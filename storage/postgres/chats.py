"""Chats and bindings of the PostgreSQL store (storage/sqlite_chats.py's twin): each function
runs inside the store's transaction. Bindings follow a chat's key by ON UPDATE CASCADE."""

from __future__ import annotations

import dataclasses
import logging

from bot.domain import ChatRef, ChatSettings
from bot.errors import StorageError
from storage.postgres.outbox import move_undelivered
from storage.postgres.rows import (
    CHAT_COLUMNS,
    EXT_ORDER,
    Conn,
    chat_from_row,
    chat_key,
    chat_values,
    rowcount,
    rows,
)

logger = logging.getLogger(__name__)

_SET_CHAT = ", ".join(f"{c.strip()} = %s" for c in CHAT_COLUMNS.split(","))
_BY_CHAT = "platform = %s AND chat_id = %s"


async def ensure_chat(conn: Conn, chat: ChatRef, title: str, language: str, timezone: str) -> ChatSettings:
    found = await rows(
        conn,
        "INSERT INTO chats AS c (platform, chat_id, title, language, timezone) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (platform, chat_id) DO UPDATE SET active = true, "
        "title = CASE WHEN excluded.title <> '' THEN excluded.title ELSE c.title END RETURNING *",
        [*chat_key(chat), title, language, timezone],
    )
    return chat_from_row(found[0])


async def get_chat(conn: Conn, chat: ChatRef) -> ChatSettings | None:
    found = await rows(conn, "SELECT * FROM chats WHERE platform = %s AND chat_id = %s", chat_key(chat))
    return chat_from_row(found[0]) if found else None


async def update_chat(conn: Conn, settings: ChatSettings) -> None:
    sql = f"UPDATE chats SET {_SET_CHAT} WHERE {_BY_CHAT}"
    if await rowcount(conn, sql, [*chat_values(settings), *chat_key(settings.chat)]) == 0:
        raise StorageError(f"cannot update unknown chat {settings.chat}")


async def list_chats(conn: Conn) -> list[ChatSettings]:
    return [chat_from_row(r) for r in await rows(conn, "SELECT * FROM chats ORDER BY platform, chat_id")]


async def migrate_chat(conn: Conn, old: ChatRef, new: ChatRef) -> None:
    if old == new:
        return
    if await get_chat(conn, new) is None:  # bindings follow by ON UPDATE CASCADE
        await conn.execute(
            "UPDATE chats SET platform = %s, chat_id = %s WHERE platform = %s AND chat_id = %s",
            [*chat_key(new), *chat_key(old)],
        )
    else:
        settings = await get_chat(conn, old)
        if settings is not None:
            await update_chat(conn, dataclasses.replace(settings, chat=new))
        await conn.execute(
            "INSERT INTO bindings (platform, chat_id, ext) SELECT %s, %s, ext FROM bindings "
            "WHERE platform = %s AND chat_id = %s ON CONFLICT DO NOTHING",
            [*chat_key(new), *chat_key(old)],
        )
        await conn.execute("DELETE FROM chats WHERE platform = %s AND chat_id = %s", chat_key(old))
    await _move_grants(conn, old, new)
    await move_undelivered(conn, old, new)
    logger.info("chat %s migrated to %s", old, new)


async def _move_grants(conn: Conn, old: ChatRef, new: ChatRef) -> None:
    """Chat-scoped grants move; a moved grant replaces the user's grant in the new chat."""
    await conn.execute(
        "DELETE FROM grants g WHERE g.platform = %s AND g.scope = %s AND EXISTS (SELECT 1 FROM grants o "
        "WHERE o.platform = %s AND o.scope = %s AND o.user_id = g.user_id)",
        [*chat_key(new), *chat_key(old)],
    )
    await conn.execute(
        "UPDATE grants SET platform = %s, scope = %s WHERE platform = %s AND scope = %s",
        [*chat_key(new), *chat_key(old)],
    )


async def bind(conn: Conn, chat: ChatRef, ext: str) -> bool:
    if await get_chat(conn, chat) is None:
        raise StorageError(f"cannot bind unknown chat {chat}")
    sql = "INSERT INTO bindings (platform, chat_id, ext) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
    return await rowcount(conn, sql, [*chat_key(chat), ext]) == 1


async def unbind(conn: Conn, chat: ChatRef, ext: str | None) -> list[str]:
    where, params = _BY_CHAT, [*chat_key(chat)]
    if ext is not None:
        where, params = f"{where} AND ext = %s", [*params, ext]
    sql = f"WITH d AS (DELETE FROM bindings WHERE {where} RETURNING ext) SELECT ext FROM d"
    return [r["ext"] for r in await rows(conn, f"{sql} ORDER BY {EXT_ORDER}", params)]


async def extensions_of(conn: Conn, chat: ChatRef) -> list[str]:
    sql = f"SELECT ext FROM bindings WHERE platform = %s AND chat_id = %s ORDER BY {EXT_ORDER}"
    return [r["ext"] for r in await rows(conn, sql, chat_key(chat))]


async def bindings(conn: Conn) -> dict[str, list[ChatRef]]:
    out: dict[str, list[ChatRef]] = {}
    cur = await conn.execute("SELECT ext, platform, chat_id FROM bindings ORDER BY ext, platform, chat_id")
    for ext, platform, chat_id in await cur.fetchall():
        out.setdefault(ext, []).append(ChatRef(platform, chat_id))
    return out


async def chats_of(conn: Conn, ext: str) -> list[ChatRef]:
    sql = "SELECT platform, chat_id FROM bindings WHERE ext = %s ORDER BY platform, chat_id"
    return [ChatRef(r["platform"], r["chat_id"]) for r in await rows(conn, sql, [ext])]
