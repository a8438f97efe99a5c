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


def database_path(settings: Settings) -> Path:
    """Where ``BOT_DB`` points, from the current folder."""
    return Path(settings.bot_db).expanduser().resolve()


async def open_store(settings: Settings, *, create: bool = False) -> Any:
    """The SQLite store at ``BOT_DB``; without ``create`` a missing file is a :class:`ConfigError`."""
    from storage.sqlite import SqliteStore

    path = database_path(settings)
    if not create and not path.is_file():
        raise ConfigError(
            f"BOT_DB: no database at {path}: run `onpbx-bot setup` or `onpbx-bot run` once to create it "
            "(from the folder the bot runs in), or set BOT_DB to the bot's database"
        )
    return await SqliteStore.open(str(path))


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
            print(f"pairing code (valid 1 hour, single use): {code}\nsend in a chat: /pair {code}")
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
