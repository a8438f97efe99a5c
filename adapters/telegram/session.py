"""The aiogram HTTP session the adapter uses: aiogram's own, with its response models kept alive.

Why: aiogram validates every answer with ``Response[method.__returning__]``, a pydantic generic
model. pydantic caches parametrised generics in a ``WeakValueDictionary`` and nothing else holds
``Response[Message]``, so each garbage collection drops it and the next request rebuilds it:
about 3 ms of schema building, roughly every 20 sends (measured in ``bench alerts``: 22 rebuilds
in 500 alerts, the main part of the p99). Keeping one strong reference per return type ends that;
they are a handful of small classes (one per Bot API method the bot calls).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod
    from aiogram.methods.base import TelegramType

#: return type -> Response[return type], held for the life of the process
_PINNED: dict[Any, type[Any]] = {}


def pin_response_model(returning: Any) -> type[Any]:
    """``Response[returning]``, built once and kept (see module docstring)."""
    model = _PINNED.get(returning)
    if model is None:
        model = _PINNED[returning] = Response[returning]
    return model


class PinnedSession(AiohttpSession):
    """:class:`AiohttpSession` whose response models survive garbage collection."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        pin_response_model(method.__returning__)
        return super().check_response(bot, method, status_code, content)
