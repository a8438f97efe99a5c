"""The daily report: sent once per chat per day at the chat's local time, across restarts too.

Strategy: ``tick`` (every minute, from the app's ticker) looks at chats with a report time
(``report_at:<chat>``) whose local time has passed it and whose ``report_sent:<chat>`` is not today;
it builds the report and enqueues it in the durable outbox under the key ``report:<chat>:<day>``,
then notes the day. A crash after the enqueue and before the note only rebuilds the report: the
outbox key refuses the second copy; a bot that was down at the time sends it when it is back.
A report before noon covers yesterday; at noon or later it covers today so far.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import datetime

from bot.domain import ChatRef, ChatSettings, ReportAlert
from bot.errors import BotError
from bot.ports import Store
from bot.reports.build import Reporter
from bot.reports.period import period, zone

logger = logging.getLogger(__name__)


def report_key(chat: ChatRef) -> str:
    return f"report_at:{chat}"


def sent_key(chat: ChatRef) -> str:
    return f"report_sent:{chat}"


def scope_of(chat: ChatSettings, bound: list[str]) -> frozenset[str] | None:
    """Whose calls a chat's report covers: every call for a chat that gets every missed call (None),
    else its extensions: none at all for an unbound chat (see bot.commands.report)."""
    return None if chat.alert_all_missed else frozenset(bound)


def _local(chat: ChatSettings, now: float) -> datetime:
    return datetime.fromtimestamp(now, zone(chat.timezone))


async def today_passed(store: Store, chat: ChatSettings, at: str, now: float) -> None:
    """When ``at`` has already passed today, today's report counts as sent (it starts tomorrow)."""
    local = _local(chat, now)
    if local.strftime("%H:%M") >= at:
        await store.set_setting(sent_key(chat.chat), local.date().isoformat())


class ReportScheduler:
    """Sends each chat's daily report (see module docstring); ``tick`` returns reports queued."""

    def __init__(
        self, store: Store, reporter: Reporter, *, on_queued: Callable[[], None] | None = None
    ) -> None:
        self._store = store
        self._reporter = reporter
        self._on_queued = on_queued

    async def tick(self, now: float) -> int:
        queued = 0
        for chat in await self._store.list_chats():
            if not chat.active:
                continue
            try:
                queued += await self._chat(chat, now)
            except BotError as exc:
                logger.error("daily report for %s not sent yet: %s: %s",
                             chat.chat, type(exc).__name__, exc)
        if queued and self._on_queued is not None:
            self._on_queued()
        return queued

    async def _chat(self, chat: ChatSettings, now: float) -> int:
        at = await self._store.get_setting(report_key(chat.chat))
        local = _local(chat, now)
        day = local.date().isoformat()
        if not at or local.strftime("%H:%M") < at:
            return 0
        if await self._store.get_setting(sent_key(chat.chat)) == day:
            return 0
        span = period("yesterday" if at < "12:00" else "today", chat.timezone, now)
        scope = scope_of(chat, await self._store.extensions_of(chat.chat))
        if scope == frozenset():  # an unbound chat's viewers see no PBX-wide numbers
            logger.warning("daily report for %s not sent: the chat is not bound and does not get every "
                           "missed call (/bind, or /subscribe all on)", chat.chat)
            await self._store.set_setting(sent_key(chat.chat), day)
            return 0
        message = await self._reporter.message(span, chat.language, scope)
        alert = ReportAlert(message.text, base64.b64encode(message.photo or b"").decode(), day)
        queued = await self._store.enqueue(f"report:{chat.chat}:{day}", chat.chat, alert, now)
        await self._store.set_setting(sent_key(chat.chat), day)
        state = "queued" if queued else "was queued before"
        logger.info("daily report for %s (%s) %s", chat.chat, day, state)
        return int(queued)
