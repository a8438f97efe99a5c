"""Core ``OutMessage`` -> Slack Block Kit (mrkdwn sections, one actions block per button row).

Every span is escaped (``&``, ``<``, ``>``) and plain spans have the mrkdwn markers
``* _ ~ ``` swapped for look-alike characters, so PBX text can neither inject links nor styling.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.domain import Button, OutMessage, Span

logger = logging.getLogger(__name__)

ACTION_PREFIX = "pbx_"
SECTION_LIMIT = 3000  # Slack: max characters of a section's text
BLOCK_LIMIT = 50  # Slack: max blocks per message
LABEL_LIMIT = 75  # Slack: max characters of a button's text
VALUE_RE = re.compile(r"[A-Za-z0-9_.:@+#*=-]{0,200}")  # button ``value`` (the core's ``arg``)
ACTION_RE = re.compile(r"[a-z][a-z0-9_]{0,40}")  # the core's ``Button.action``
_ACTION_ID_RE = re.compile(r"pbx_([a-z][a-z0-9_]{0,40}?)(?:\.\d{1,2})?")

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# U+2217 asterisk operator, U+02CD low macron, U+223C tilde operator, U+02CB grave accent
_NEUTRAL = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_MARKS = {"bold": "*", "italic": "_", "code": "`"}


def escape(text: str) -> str:
    """Slack's three mandatory escapes (``&`` first, so nothing is escaped twice)."""
    return text.translate(_ESCAPES)


def neutralize(text: str) -> str:
    """Escape, and replace every mrkdwn marker with a look-alike so it cannot style text."""
    return escape(text).translate(_NEUTRAL)


def span_to_mrkdwn(span: Span) -> str:
    text = neutralize(span.text)
    mark = _MARKS.get(span.style)
    core = text.strip()
    if mark is None or not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{mark}{core}{mark}{trail}"


def to_mrkdwn(message: OutMessage) -> str:
    return "".join(span_to_mrkdwn(s) for s in message.spans)


def fallback_text(message: OutMessage) -> str:
    """The notification/``text`` fallback: the plain text, escaped and neutralized."""
    return neutralize(message.text)[:SECTION_LIMIT]


def _sections(mrkdwn: str) -> list[dict[str, Any]]:
    chunks, rest = [], mrkdwn
    while rest:
        cut = len(rest) if len(rest) <= SECTION_LIMIT else rest.rfind("\n", 0, SECTION_LIMIT)
        cut = cut if cut > 0 else SECTION_LIMIT
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    return [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks if c.strip()]


def _button(button: Button, index: int) -> dict[str, Any] | None:
    if not ACTION_RE.fullmatch(button.action) or not VALUE_RE.fullmatch(button.arg):
        logger.error("slack: dropped a button with an unusable action/arg (action %r)", button.action)
        return None
    action_id = ACTION_PREFIX + button.action + (f".{index}" if index else "")
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": button.label[:LABEL_LIMIT] or "?", "emoji": True},
        "action_id": action_id,
    }
    if button.arg:
        element["value"] = button.arg
    return element


def _actions(row: tuple[Button, ...]) -> dict[str, Any] | None:
    seen: dict[str, int] = {}
    elements = []
    for button in row[:25]:
        index = seen.get(button.action, 0)  # action_ids must be unique within a block
        seen[button.action] = index + 1
        element = _button(button, index)
        if element is not None:
            elements.append(element)
    return {"type": "actions", "elements": elements} if elements else None


def to_blocks(message: OutMessage) -> list[dict[str, Any]]:
    """Sections for the text, then one ``actions`` block per button row (at most 50 blocks)."""
    blocks = _sections(to_mrkdwn(message))
    for row in message.buttons:
        block = _actions(row)
        if block is not None:
            blocks.append(block)
    return blocks[:BLOCK_LIMIT]


def render(message: OutMessage) -> tuple[str, list[dict[str, Any]]]:
    """``(text fallback, blocks)`` for ``chat.postMessage`` / ``chat.update`` / ``respond``."""
    return fallback_text(message), to_blocks(message)


def parse_action_id(action_id: str) -> str | None:
    """``pbx_call`` / ``pbx_call.1`` -> ``call``; anything else -> None."""
    match = _ACTION_ID_RE.fullmatch(action_id)
    return match.group(1) if match else None
