"""``onpbx-bot admin grant|revoke|list|code|bind``: the chat's rules, from the shell, on ``BOT_DB``."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bot.commands import create_pairing_code
from bot.config import Settings
from bot.domain import ChatRef, Role
from bot.errors import ConfigError


def split_ref(text: str) -> tuple[str, str]:
    platform, sep, ident = text.partition(":")
    if not sep or not platform or not ident:
        raise ConfigError(f"{text!r} is not platform:id (e.g. telegram:123456)")
    return platform, ident


async def open_store(settings: Settings) -> Any:
    from storage.factory import open_store as open_bot_db  # a file (SQLite) or a postgresql:// URL

    return await open_bot_db(settings.bot_db)


async def cmd_admin(settings: Settings, args: argparse.Namespace) -> int:
    store = await open_store(settings)
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
            platform, chat_id = split_ref(args.chat)
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
