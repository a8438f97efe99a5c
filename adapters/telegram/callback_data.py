"""Compact, validated callback data for inline buttons (Telegram allows at most 64 bytes).

Strategy: each known action has a one-letter prefix and a strict pattern for its argument, so a
button the core made round-trips exactly and anything forged or stale is refused before the core.
"""

from __future__ import annotations

import re

from bot.errors import BotError

MAX_BYTES = 64

# action -> (prefix, pattern its argument must match in full)
_ACTIONS: dict[str, tuple[str, re.Pattern[str]]] = {
    "call": ("c", re.compile(r"\+?[0-9*#]{1,32}(?:@[0-9]{2,5})?")),  # NUMBER or NUMBER@FROM_EXT
    "hangup": ("h", re.compile(r"[0-9A-Za-z-]{1,60}")),
    "confirm": ("y", re.compile(r"[0-9A-Za-z_-]{1,60}")),
    "cancel": ("n", re.compile(r"[0-9A-Za-z_-]{0,60}")),
    "done": ("d", re.compile(r"[0-9A-Za-z_.:-]{1,60}")),
}
_BY_PREFIX = {prefix: (action, pattern) for action, (prefix, pattern) in _ACTIONS.items()}


class BadCallbackData(BotError):
    """Callback data (or a button to encode) is not one of the known compact forms."""


def encode(action: str, arg: str) -> str:
    """``("call", "79161234567")`` -> ``"c:79161234567"``; raises :class:`BadCallbackData`."""
    spec = _ACTIONS.get(action)
    if spec is None:
        raise BadCallbackData(f"unknown button action {action!r}")
    prefix, pattern = spec
    data = f"{prefix}:{arg}"
    if not pattern.fullmatch(arg) or len(data.encode()) > MAX_BYTES:
        raise BadCallbackData(f"button argument for {action!r} is not valid")
    return data


def decode(data: str | None) -> tuple[str, str]:
    """``"c:79161234567"`` -> ``("call", "79161234567")``; raises :class:`BadCallbackData`."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise BadCallbackData("empty or oversized callback data")
    prefix, sep, arg = data.partition(":")
    spec = _BY_PREFIX.get(prefix)
    if not sep or spec is None or not spec[1].fullmatch(arg):
        raise BadCallbackData("unknown callback data")
    return spec[0], arg
