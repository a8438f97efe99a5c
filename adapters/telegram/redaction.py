"""Keep the bot token out of aiogram's log lines (aiogram puts it in request URLs)."""

from __future__ import annotations

import logging

from aiogram import loggers

from adapters.telegram.errors import redact


class TokenFilter(logging.Filter):
    """Replaces the token in a record's rendered message with ``***``."""

    def __init__(self, token: str) -> None:
        super().__init__("")
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.token)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def protect_logs(token: str) -> None:
    """Attach a :class:`TokenFilter` for ``token`` to every aiogram logger (once per token)."""
    for logger in (loggers.dispatcher, loggers.event, loggers.middlewares, loggers.webhook):
        if not any(isinstance(f, TokenFilter) and f.token == token for f in logger.filters):
            logger.addFilter(TokenFilter(token))
