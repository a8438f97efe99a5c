"""aiogram handlers: translate an update, ask the core, send what it returned.

Strategy: each handler is translate -> ``core`` -> send; any exception is logged once with the
chat and command and answered with a short apology, so one bad update never stops the loop.
"""

from __future__ import annotations

import logging
import time

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message, User

from adapters.telegram.inbound import chat_ref, to_action, to_command
from adapters.telegram.render import plain
from adapters.telegram.sender import TelegramSender
from bot.commands import HEAVY
from bot.delivery import ReplyBudget
from bot.domain import ChatAction, ChatRef, OutMessage
from bot.errors import ChatMigrated, DeliveryError, MessageGone
from bot.i18n import normalize_language, register, t
from bot.ports import ChatCore

logger = logging.getLogger(__name__)

register(
    {
        "telegram.apology": (
            "Sorry, something went wrong. Please try again later.",
            "Извините, что-то пошло не так. Попробуйте позже.",
        ),
        "telegram.bad_button": (
            "This button is not valid any more.",
            "Эта кнопка больше не действует.",
        ),
    }
)


def language_of(user: User | None) -> str:
    """ru for Russian-speaking users, English for everyone else (a chat the core cannot name)."""
    return normalize_language(user.language_code if user else None, default="en")


class Handlers:
    """The adapter's message and callback handlers, bound to one core and one sender."""

    def __init__(self, core: ChatCore, sender: TelegramSender) -> None:
        self.core = core
        self.sender = sender
        self.replies = ReplyBudget()
        self.router = Router(name="onpbx")
        self.router.message.register(self.on_message)
        self.router.callback_query.register(self.on_callback)

    async def on_message(self, message: Message, bot: Bot) -> None:
        """A migration notice, or a command for this bot; anything else is ignored."""
        if message.migrate_to_chat_id:
            old, new = chat_ref(message.chat), chat_ref(message.migrate_to_chat_id)
            try:
                await self.core.handle_migration(old, new)
            except Exception:
                logger.exception("migration of chat %s to %s failed", old.chat_id, new.chat_id)
            return
        me = await bot.me()
        cmd = to_command(message, me.username or "")
        if cmd is None:
            return
        if cmd.name.lower() in HEAVY and not self.replies.available(
                cmd.chat, self.sender.platform_limits(cmd.chat), time.monotonic()):
            logger.warning("/%s in chat %s not run: its answer would be dropped (replies used up their "
                           "budget share)", cmd.name, cmd.chat.chat_id)
            return
        try:
            replies = await self.core.handle_command(cmd)
            for reply in replies:
                await self.post(cmd.chat, reply)
        except Exception:
            logger.exception("command /%s in chat %s failed", cmd.name, cmd.chat.chat_id)
            await self.apologize(cmd.chat, await self.language(cmd.chat, message.from_user))

    async def on_callback(self, query: CallbackQuery) -> None:
        """A button press: toast, then the core's messages, then the edit."""
        action = to_action(query)
        chat = chat_ref(query.message.chat) if query.message is not None else None
        if action is None:
            logger.info("refused callback data %r from user %s", (query.data or "")[:64], query.from_user.id)
            lang = await self.language(chat, query.from_user)
            await self.sender.answer_callback(query.id, t(lang, "telegram.bad_button"))
            return
        try:
            await self._act(query.id, action)
        except Exception:
            logger.exception("button %s in chat %s failed", action.action, action.chat.chat_id)
            await self.sender.answer_callback(query.id, t(await self.language(chat, query.from_user),
                                                          "telegram.apology"))

    async def language(self, chat: ChatRef | None, user: User | None) -> str:
        """The chat's language (the core's), else the user's own."""
        if chat is not None:
            try:
                return await self.core.language(chat)
            except Exception:
                logger.warning("language of chat %s unknown; using the user's", chat.chat_id)
        return language_of(user)

    async def _act(self, query_id: str, action: ChatAction) -> None:
        reply = await self.core.handle_action(action)
        await self.sender.answer_callback(query_id, reply.toast)
        for message in reply.messages:
            await self.post(action.chat, message)
        if reply.edit is not None and action.message_id:
            try:
                await self.sender.edit(action.chat, action.message_id, reply.edit)
            except MessageGone as exc:
                logger.info("edit in chat %s skipped: %s", action.chat.chat_id, exc)

    async def post(self, chat: ChatRef, message: OutMessage) -> None:
        """Send a reply directly (paced, 429 retried); follow a migration once. Replies have their
        own share of the chat's budget (:mod:`bot.delivery.replies`); past it they are dropped."""
        if not self.replies.take(chat, self.sender.platform_limits(chat), time.monotonic()):
            logger.warning("reply to chat %s dropped: replies used up their budget share", chat.chat_id)
            return
        try:
            await self.sender.reply(chat, message)
        except ChatMigrated as exc:
            new = ChatRef(chat.platform, exc.new_chat_id)
            await self.core.handle_migration(chat, new)
            await self.sender.reply(new, message)

    async def apologize(self, chat: ChatRef, lang: str) -> None:
        try:
            await self.sender.reply(chat, plain(t(lang, "telegram.apology")))
        except DeliveryError as exc:
            logger.warning("apology to chat %s not delivered: %s", chat.chat_id, exc)
