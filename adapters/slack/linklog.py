"""The Socket Mode client's log, told like the PBX link's: one line per failed connect, with the
attempt number and the wait, never the SDK's traceback (about 60 lines per retry otherwise).

Strategy: slack_sdk's ``SocketModeClient`` takes any logger-like object; this adapter rewrites
its "Failed to connect (error: ...); Retrying..." records and passes every other record through
(tokens are redacted from all records by :mod:`bot.logsetup`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

FAILED = re.compile(r"^Failed to connect \(error: (?P<error>.*)\); Retrying\.\.\.$", re.S)
CONNECTED = "has been established"


class LinkLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Wraps the logger handed to the SDK; ``retry_s``: the SDK's wait between connects."""

    def __init__(self, logger: logging.Logger, retry_s: float) -> None:
        super().__init__(logger, {})
        self.retry_s = retry_s
        self.attempts = 0

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        text = str(msg)
        found = FAILED.match(text)
        if found:
            self.attempts += 1
            error = " ".join(found.group("error").split())[:200]
            self.logger.warning("slack: Socket Mode link down (%s); reconnect attempt %d in %.0f s",
                                error, self.attempts, self.retry_s)
            return
        if text.startswith("Failed to retrieve WSS URL"):
            return  # the "Failed to connect" record that follows says it, once
        if CONNECTED in text:
            if self.attempts:
                self.logger.info("slack: Socket Mode link up after %d failed attempt(s)", self.attempts)
            self.attempts = 0
        super().log(level, msg, *args, **kwargs)


class SameTokenFilter(logging.Filter):
    """Bolt warns "`token` will be unused" whenever SLACK_BOT_TOKEN (our setting's name) is in the
    environment and a client is passed; the client holds that very token, so it is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def quiet_bolt(logger: logging.Logger) -> logging.Logger:
    """``logger`` with :class:`SameTokenFilter` attached (once)."""
    if not any(isinstance(f, SameTokenFilter) for f in logger.filters):
        logger.addFilter(SameTokenFilter())
    return logger
