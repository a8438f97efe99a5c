"""TelegramSender: the core's ChatSender for Telegram, with a global pace and error translation.

Strategy: every Bot API call goes through :meth:`TelegramSender.call`, which waits for a global
slot (~30 requests/s) and turns aiogram exceptions into :mod:`bot.errors`; per-chat pacing is the
DeliveryWorker's job, told by :meth:`limits_for`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import AiogramError
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from adapters.telegram.errors import translate
from adapters.telegram.render import chunks, keyboard
from bot.delivery import alert_limits
from bot.domain import ChatRef, OutMessage
from bot.errors import ChatGone, DeliveryError, RetryAfter
from bot.ports import PacingLimits

logger = logging.getLogger(__name__)

T = TypeVar("T")
PARSE_MODE = "HTML"
CAPTION_MAX = 1024  # Telegram's limit for a photo caption
#: split messages whose later part failed, remembered so the retry posts only what is missing
PARTIAL_KEPT = 256


class Pacer:
    """At most ``rate`` slots per second, handed out in order."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            delay = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if delay:
            await asyncio.sleep(delay)


def chat_id_of(chat: ChatRef) -> int:
    """Telegram's integer chat id; a non-numeric id can never be delivered to."""
    try:
        return int(chat.chat_id)
    except ValueError:
        raise ChatGone(f"not a Telegram chat id: {chat.chat_id!r}") from None


class TelegramSender:
    """Implements :class:`bot.ports.ChatSender` for ``platform == "telegram"``."""

    platform = "telegram"

    def __init__(self, bot: Bot, *, rate: float = 30.0) -> None:
        self.bot = bot
        self.pacer = Pacer(rate)
        #: (chat id, number of parts, hash of the parts) -> (parts already posted, the last one's
        #: id): a part that failed (a 429, a network error) is retried, never the parts before it
        self._partial: dict[tuple[int, int, int], tuple[int, str]] = {}

    def platform_limits(self, chat: ChatRef) -> PacingLimits:
        """Telegram's own: 1 s per chat; groups (negative ids) also at most 20 messages a minute."""
        group = chat.chat_id.startswith("-")
        return PacingLimits(min_interval_s=1.0, per_minute=20 if group else None)

    def limits_for(self, chat: ChatRef) -> PacingLimits:
        """What alerts are paced by: Telegram's limits minus the share kept for command replies."""
        return alert_limits(self.platform_limits(chat))

    async def call(self, make: Callable[[], Awaitable[T]]) -> T | None:
        """Run one API call after a global slot; None when Telegram said "not modified"."""
        await self.pacer.wait()
        try:
            return await make()
        except (AiogramError, OSError, TimeoutError) as exc:
            error = translate(exc, self.bot.token)
            if error is None:
                return None
            raise error from None

    async def send(self, chat: ChatRef, message: OutMessage) -> str:
        """Posts ``message`` (split if long; buttons on the last piece); returns the last id.
        With a photo: ``sendPhoto`` with the text as its caption (a text too long for a caption
        follows as a message of its own)."""
        chat_id = chat_id_of(chat)
        if message.photo is not None:
            return await self._photo(chat_id, message, message.photo)
        pieces = chunks(message)
        key = (chat_id, len(pieces), hash(tuple(pieces)))
        done, last = self._partial.pop(key, (0, "")) if len(pieces) > 1 else (0, "")
        for i, text in enumerate(pieces):
            if i < done:
                continue  # posted by an earlier attempt that failed on a later part
            markup = keyboard(message.buttons) if i == len(pieces) - 1 else None
            try:
                sent = await self._post(chat_id, text, markup)
            except DeliveryError:
                if i > 0:
                    self._keep_partial(key, i, last)
                raise
            if sent is not None:
                last = str(sent.message_id)
        return last

    def _keep_partial(self, key: tuple[int, int, int], posted: int, last: str) -> None:
        if len(self._partial) >= PARTIAL_KEPT:
            del self._partial[next(iter(self._partial))]  # the oldest: its retry is long overdue
        self._partial[key] = (posted, last)

    async def _post(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> Message | None:
        return await self.call(
            lambda: self.bot.send_message(
                chat_id=chat_id, text=text, parse_mode=PARSE_MODE, reply_markup=markup
            )
        )

    async def _photo(self, chat_id: int, message: OutMessage, photo: bytes) -> str:
        text = OutMessage(message.spans, message.buttons)
        pieces = chunks(text) if text.text else []
        caption = pieces[0] if len(pieces) == 1 and len(pieces[0]) <= CAPTION_MAX else None
        markup = keyboard(message.buttons) if caption is not None or not pieces else None
        file = BufferedInputFile(photo, filename="report.png")
        sent = await self.call(
            lambda: self.bot.send_photo(
                chat_id=chat_id, photo=file, caption=caption, parse_mode=PARSE_MODE, reply_markup=markup
            )
        )
        last = str(sent.message_id) if sent is not None else ""
        if caption is None and pieces:
            last = await self.send(ChatRef(self.platform, str(chat_id)), text) or last
        return last

    async def edit(self, chat: ChatRef, message_id: str, message: OutMessage) -> None:
        """Replaces the text and buttons of ``message_id`` (only the first 4096 units fit)."""
        chat_id = chat_id_of(chat)
        try:
            mid = int(message_id)
        except ValueError:
            raise DeliveryError(f"not a Telegram message id: {message_id!r}") from None
        await self.call(
            lambda: self.bot.edit_message_text(
                text=chunks(message)[0],
                chat_id=chat_id,
                message_id=mid,
                parse_mode=PARSE_MODE,
                reply_markup=keyboard(message.buttons),
            )
        )

    async def reply(self, chat: ChatRef, message: OutMessage, *, retries: int = 2) -> str:
        """:meth:`send` for command replies: a 429 is waited out and retried ``retries`` times."""
        for attempt in range(retries + 1):
            try:
                return await self.send(chat, message)
            except RetryAfter as exc:
                if attempt == retries or exc.seconds > 60:
                    raise
                logger.warning(
                    "reply to %s rate limited, waiting %gs (attempt %d)", chat, exc.seconds, attempt + 1
                )
                await asyncio.sleep(exc.seconds)
        raise AssertionError("unreachable")

    async def answer_callback(self, query_id: str, text: str) -> None:
        """The toast of a button press (errors logged: a toast is best effort)."""
        try:
            await self.call(lambda: self.bot.answer_callback_query(query_id, text=text[:200]))
        except DeliveryError as exc:
            logger.warning("answerCallbackQuery failed: %s", exc)
