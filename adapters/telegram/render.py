"""OutMessage -> Telegram HTML chunks and an inline keyboard.

Strategy: every span is ``html.escape``-d on its own and wrapped in its tag, so text from the PBX
or users can never open markup; long messages are cut between (or inside) spans, never inside a
tag or an entity, preferring line breaks, each chunk at most 4096 UTF-16 units of HTML.
"""

from __future__ import annotations

import html
import logging

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from adapters.telegram.callback_data import BadCallbackData, encode
from bot.domain import Button, OutMessage, Span

logger = logging.getLogger(__name__)

LIMIT = 4096
_TAGS = {"bold": "b", "italic": "i", "code": "code"}


def size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def span_html(text: str, style: str) -> str:
    """One span as escaped HTML in its tag (plain: no tag)."""
    escaped = html.escape(text)
    tag = _TAGS.get(style)
    return f"<{tag}>{escaped}</{tag}>" if tag else escaped


def to_html(message: OutMessage) -> str:
    """The whole message as one HTML string (no length limit)."""
    return "".join(span_html(s.text, s.style) for s in message.spans)


def _fit(text: str, style: str, budget: int) -> int:
    """How many leading characters of ``text`` fit into ``budget``, cut at a line break or a
    space when there is one."""
    if size(span_html(text, style)) <= budget:
        return len(text)
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(span_html(text[:mid], style)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    if lo in (0, len(text)):
        return lo
    head = text[:lo]
    for sep in ("\n", " "):
        cut = head.rfind(sep)
        if cut > 0:
            return cut + 1
    return lo


def chunks(message: OutMessage, limit: int = LIMIT) -> list[str]:
    """The message as HTML pieces of at most ``limit`` units each (at least one piece)."""
    out: list[str] = []
    parts: list[str] = []
    used = 0
    visible = ""

    def flush() -> None:
        nonlocal parts, used, visible
        if visible.strip():
            out.append("".join(parts))
        parts, used, visible = [], 0, ""

    for span in message.spans:
        rest = span.text
        while rest:
            n = _fit(rest, span.style, limit - used)
            if n == 0:
                if not parts:  # cannot happen with sane limits; never loop forever
                    n = 1
                else:
                    flush()
                    continue
            piece = span_html(rest[:n], span.style)
            parts.append(piece)
            used += size(piece)
            visible += rest[:n]
            rest = rest[n:]
            if rest:
                flush()
    flush()
    return out or ["…"]


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard; a button whose data cannot be encoded is left out."""
    built: list[list[InlineKeyboardButton]] = []
    for row in rows:
        line: list[InlineKeyboardButton] = []
        for button in row:
            try:
                data = encode(button.action, button.arg)
            except BadCallbackData as exc:
                logger.error("button %r left out: %s", button.label, exc)
                continue
            line.append(InlineKeyboardButton(text=button.label or "?", callback_data=data))
        if line:
            built.append(line)
    return InlineKeyboardMarkup(inline_keyboard=built) if built else None


def plain(text: str) -> OutMessage:
    """Shorthand used by the adapter for its own one-line texts."""
    return OutMessage((Span(text),))
