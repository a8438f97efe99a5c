"""setMyCommands per language from ``core.menu(lang)``, so the menu matches /help."""

from __future__ import annotations

import logging
import re

from aiogram import Bot
from aiogram.exceptions import AiogramError
from aiogram.types import BotCommand

from bot.i18n import LANGUAGES
from bot.ports import ChatCore

logger = logging.getLogger(__name__)

_VALID = re.compile(r"[a-z0-9_]{1,32}")


def bot_commands(pairs: list[tuple[str, str]]) -> list[BotCommand]:
    """Telegram's shape: names 1-32 of [a-z0-9_], descriptions 1-256 chars; others left out."""
    out: list[BotCommand] = []
    for name, description in pairs:
        name = name.lstrip("/").lower()
        if not _VALID.fullmatch(name):
            logger.error("menu command %r left out: not a valid Telegram command", name)
            continue
        out.append(BotCommand(command=name, description=(description.strip() or name)[:256]))
    return out


async def publish_menus(bot: Bot, core: ChatCore, default_language: str) -> None:
    """One menu per language, plus the default-language menu for everyone else."""
    targets: list[tuple[str | None, str]] = [(lang, lang) for lang in LANGUAGES]
    targets.append((None, default_language))
    for code, lang in targets:
        commands = bot_commands(core.menu(lang))
        try:
            await bot.set_my_commands(commands, language_code=code)
        except (AiogramError, OSError, TimeoutError) as exc:
            logger.warning("setMyCommands(%s) failed: %s", code or "default", type(exc).__name__)
