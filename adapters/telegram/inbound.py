"""aiogram Message / CallbackQuery -> the core's ChatCommand / ChatAction (pure functions).

Strategy: only translation lives here: split "/cmd@bot rest", drop commands meant for another
bot, mark who really sent it (forwarded, anonymous) and decode callback data; what a command
means, and whether it may run, is the core's business.
"""

from __future__ import annotations

import re

from aiogram.types import CallbackQuery, Chat, Message, User

from adapters.telegram.callback_data import BadCallbackData, decode
from bot.domain import ChatAction, ChatCommand, ChatRef, UserRef

PLATFORM = "telegram"
_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


def chat_ref(chat: Chat | int) -> ChatRef:
    return ChatRef(PLATFORM, str(chat if isinstance(chat, int) else chat.id))


def user_ref(user: User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), display=user.full_name, username=user.username or "")


def chat_title(message: Message) -> str:
    chat = message.chat
    if chat.title:
        return chat.title
    if message.from_user is not None:
        return message.from_user.full_name
    return chat.full_name


def parse_command(text: str, bot_username: str) -> tuple[str, str] | None:
    """``"/Who@MyBot 101 102"`` -> ``("who", "101 102")``; None when not a command for us."""
    if not text.startswith("/"):
        return None
    parts = text.split(maxsplit=1)
    head, rest = parts[0], parts[1] if len(parts) > 1 else ""
    name, _, mention = head[1:].partition("@")
    if not _NAME.fullmatch(name):
        return None
    if mention and mention.lower() != bot_username.lower():
        return None
    return name.lower(), rest.rstrip()


def forwarded(message: Message) -> bool:
    """Someone else wrote it: a forward (``forward_origin``, or the pre-7.0 ``forward_date``),
    an automatic forward of a channel post, or a message made through an inline bot (``via_bot``)."""
    return bool(
        message.forward_origin is not None
        or message.forward_date is not None
        or message.is_automatic_forward
        or message.via_bot is not None
    )


def anonymous(message: Message) -> bool:
    """No person behind it: sent on behalf of a chat (``sender_chat``: anonymous group admins,
    posts "as a channel"); the shared pseudo-user ids are checked again by the core."""
    return message.sender_chat is not None


def to_command(message: Message, bot_username: str) -> ChatCommand | None:
    """The command in ``message`` (text only, from a user), or None."""
    if message.text is None or message.from_user is None:
        return None
    parsed = parse_command(message.text, bot_username)
    if parsed is None:
        return None
    name, rest = parsed
    return ChatCommand(
        chat=chat_ref(message.chat),
        user=user_ref(message.from_user),
        name=name,
        args=tuple(rest.split()),
        text=rest,
        chat_title=chat_title(message),
        is_private=message.chat.type == "private",
        forwarded=forwarded(message),
        anonymous=anonymous(message),
    )


def to_action(query: CallbackQuery) -> ChatAction | None:
    """The button press, or None for data we did not make (raises nothing)."""
    message = query.message
    if message is None:
        return None
    try:
        action, arg = decode(query.data)
    except BadCallbackData:
        return None
    return ChatAction(
        chat=chat_ref(message.chat),
        user=user_ref(query.from_user),
        action=action,
        arg=arg,
        message_id=str(message.message_id),
    )
