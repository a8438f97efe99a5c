"""aiogram exceptions -> the core's delivery errors (no aiogram exception leaves the adapter).

Strategy: one pure function maps each exception type (and, for 400s, the description) to a
:class:`bot.errors.DeliveryError` subclass; ``None`` means "treat as success" (not modified).
"""

from __future__ import annotations

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)

from bot.errors import ChatGone, ChatMigrated, DeliveryError, MessageGone, RetryAfter

_GONE_MESSAGE = ("message to edit not found", "message can't be edited", "message to edit not")
_GONE_CHAT = ("chat not found", "bot was kicked", "bot is not a member", "have no rights to send")


def redact(text: str, token: str) -> str:
    """``text`` with the bot token (and its secret half) replaced by ``***``."""
    if token:
        text = text.replace(token, "***")
        secret = token.partition(":")[2]
        if len(secret) >= 8:
            text = text.replace(secret, "***")
    return text


def translate(exc: Exception, token: str = "") -> DeliveryError | None:
    """The core error for ``exc``; None when the call should count as a success."""
    if isinstance(exc, TelegramRetryAfter):
        return RetryAfter(float(exc.retry_after))
    if isinstance(exc, TelegramMigrateToChat):
        return ChatMigrated(str(exc.migrate_to_chat_id))
    if isinstance(exc, TelegramForbiddenError):
        return ChatGone(f"Telegram refused: {redact(exc.message, token)}")
    if isinstance(exc, TelegramBadRequest):
        text = exc.message.lower()
        if "message is not modified" in text:
            return None
        if any(p in text for p in _GONE_MESSAGE):
            return MessageGone(redact(exc.message, token))
        if any(p in text for p in _GONE_CHAT):
            return ChatGone(redact(exc.message, token))
        return DeliveryError(f"Telegram bad request: {redact(exc.message, token)}")
    return DeliveryError(f"Telegram: {type(exc).__name__}: {redact(str(exc), token)}")
