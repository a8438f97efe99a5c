"""Telegram adapter (aiogram 3): translates between Telegram and the core's types."""

from adapters.telegram.runner import TelegramAdapter
from adapters.telegram.sender import TelegramSender

__all__ = ["TelegramAdapter", "TelegramSender"]
