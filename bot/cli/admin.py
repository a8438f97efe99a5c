"""``onpbx-bot admin grant|revoke|list|code|bind``: the chat's rules, from the shell, on ``BOT_DB``.

Every action first says which database it works on, and none creates one: a typo in ``BOT_DB``
or a shell in another folder gets an error, not a new empty database.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bot import ids
from bot.commands import create_pairing_code
from bot.config import Settings
from bot.domain import ChatRef, Role
from bot.dsn import is_postgres_url, redact_dsn
from bot.errors import ConfigError


def split_ref(text: str, *, chat: bool = False) -> tuple[str, str]:
    """``telegram:123`` -> ("telegram", "123"), the id checked for its platform's form."""
    platform, sep, ident = text.partition(":")
    if not sep or not platform or not ident:
        raise ConfigError(f"{text!r} is not platform:id (e.g. telegram:123456789)")
    try:
        return platform, (ids.chat_id if chat else ids.user_id)(platform, ident)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def database_path(settings: Settings) -> str:
    """Where ``BOT_DB`` points: the file, from the current folder, or the URL without its password."""
    if is_postgres_url(settings.bot_db):
        return redact_dsn(settings.bot_db)
    return str(Path(settings.bot_db).expanduser().resolve())


def database_missing(settings: Settings) -> bool:
    """A SQLite ``BOT_DB`` whose file does not exist (a PostgreSQL database is the server's)."""
    return not is_postgres_url(settings.bot_db) and not Path(settings.bot_db).expanduser().is_file()


async def open_store(settings: Settings, *, create: bool = False) -> Any:
    """The store at ``BOT_DB`` (a file or a postgresql:// URL); without ``create`` a missing
    SQLite file is a :class:`ConfigError`, not a new empty database."""
    from storage.factory import open_store as open_bot_db

    if not create and database_missing(settings):
        raise ConfigError(
            f"BOT_DB: no database at {database_path(settings)}: run `onpbx-bot setup` or `onpbx-bot run` "
            "once to create it (from the folder the bot runs in), or set BOT_DB to the bot's database"
        )
    return await open_bot_db(settings.bot_db)


async def cmd_admin(settings: Settings, args: argparse.Namespace) -> int:
    store = await open_store(settings)
    print(f"database {database_path(settings)}")
    try:
        if args.action == "grant":
            platform, user_id = split_ref(args.user)
            role = Role.parse(args.role)
            assert role is not None
            await store.grant(platform, user_id, role, "*" if role == Role.ADMIN else args.chat)
            print(f"granted {args.role} to {platform}:{user_id}")
        elif args.action == "revoke":
            platform, user_id = split_ref(args.user)
            print(f"removed {await store.revoke(platform, user_id, args.chat)} grant(s)")
        elif args.action == "code":
            code = await create_pairing_code(store, time.time())
            print(f"pairing code (valid 1 hour, single use): {code}\n"
                  f"send it in a private chat with the bot: /pair {code}")
        elif args.action == "bind":
            platform, chat_id = split_ref(args.chat, chat=True)
            chat = ChatRef(platform, chat_id)
            await store.ensure_chat(
                chat, title="", language=settings.bot_language, timezone=settings.bot_timezone
            )
            await store.bind(chat, args.ext)
            print(f"bound {chat} to extension {args.ext}")
        else:
            for g in await store.list_grants():
                print(f"grant {g.platform}:{g.user_id} {g.role.name.lower()} scope={g.scope} {g.display}")
            for chat in await store.list_chats():
                exts = await store.extensions_of(chat.chat)
                print(f"chat {chat.chat} {chat.title!r} extensions={','.join(exts) or '-'}")
        return 0
    finally:
        await store.close()
