"""User-facing text in Russian and English.

Each module that speaks to users registers its own catalog at import time with
:func:`register` (``key -> (english, russian)``), so every key exists in both languages by
construction. :func:`t` formats with ``str.format`` keyword parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"

_CATALOG: dict[str, tuple[str, str]] = {}


def register(entries: Mapping[str, tuple[str, str]]) -> None:
    """Add ``key -> (english, russian)`` entries; a key registered twice must not change."""
    for key, pair in entries.items():
        old = _CATALOG.get(key)
        if old is not None and old != pair:
            raise ValueError(f"i18n key {key!r} registered twice with different text")
        _CATALOG[key] = pair


def t(lang: str, key: str, **params: object) -> str:
    """The text of ``key`` in ``lang`` (ru if unknown). An unknown key returns itself, so a
    missing translation shows up in tests instead of crashing a handler."""
    pair = _CATALOG.get(key)
    if pair is None:
        return key
    template = pair[0] if lang == "en" else pair[1]
    return template.format(**params) if params else template


def has(key: str) -> bool:
    return key in _CATALOG


def keys() -> list[str]:
    return sorted(_CATALOG)


def normalize_language(value: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    value = (value or "").strip().lower()[:2]
    return value if value in LANGUAGES else default
