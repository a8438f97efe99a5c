"""One line of outside text: what a caller name, a PBX field or a user's argument may look like on screen.

Strategy: text from the PBX or from a user is flattened before display, so it can neither start a
new line (a forged "Reason: …" line in an alert, a forged entry in /audit) nor reorder what a
reader sees (bidi overrides): control and format characters become one space, runs of spaces
collapse, and the result is capped with an ellipsis.
"""

from __future__ import annotations

import unicodedata

DEFAULT_MAX = 80
#: bidi embeddings/overrides/isolates and the implicit marks; all are Unicode category Cf,
#: listed here so the rule can be read (and tested) without knowing the categories
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Cc: C0/C1 controls incl. \n \r \t; Cf: format (bidi, zero-width); Zl/Zp: U+2028/U+2029 separators
_DROPPED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _visible(ch: str) -> bool:
    return ch not in BIDI and unicodedata.category(ch) not in _DROPPED


def flat(text: object, limit: int = DEFAULT_MAX) -> str:
    """``text`` as one bounded line: controls, newlines and bidi marks out, spaces collapsed,
    at most ``limit`` characters (the last one "…" when cut). ``None`` -> ""."""
    if text is None:
        return ""
    raw = str(text)
    if raw.isascii() and raw.isprintable():  # the common case: nothing to drop (\t \n are not printable)
        cleaned = raw
    else:
        cleaned = "".join(ch if _visible(ch) else " " for ch in raw)
    line = " ".join(cleaned.split())
    if limit > 0 and len(line) > limit:
        return line[: limit - 1].rstrip() + "…"
    return line
