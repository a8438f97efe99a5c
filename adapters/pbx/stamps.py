"""PBX time stamps in whatever unit the source sends -> UNIX milliseconds, picked by magnitude.

API 2.0 documents milliseconds; API 3.0 declares numbers without a unit, and the HTTP history uses
seconds. A plausible date (2001..5138) is unambiguous by its size: 1e9..1e11 is seconds,
1e15..1e17 microseconds; anything else is kept as it is (milliseconds, or a value no unit makes a
date: zero or negative means "unknown" to the tracker, which then uses its own clock).
"""

from __future__ import annotations

_SECONDS = range(1_000_000_000, 100_000_000_000)  # 2001 .. 5138 in seconds
_MICROS = range(1_000_000_000_000_000, 100_000_000_000_000_000)  # 2001 .. 5138 in microseconds


def to_ms(stamp: int | None) -> int | None:
    """``1700000000`` (s), ``1700000000000`` (ms), ``1700000000000000`` (us) -> ``1700000000000``."""
    if stamp is None:
        return None
    if stamp in _SECONDS:
        return stamp * 1000
    if stamp in _MICROS:
        return stamp // 1000
    return stamp
