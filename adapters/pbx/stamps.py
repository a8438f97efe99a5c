"""PBX time stamps in whatever unit the source sends -> UNIX milliseconds, picked by magnitude.

API 2.0 documents milliseconds; API 3.0 declares numbers without a unit, and the HTTP history uses
seconds. Any plausible date (1973..5138) is unambiguous by its size: below 1e11 it is seconds,
below 1e14 milliseconds, else microseconds. Zero and negative values are kept: they mean "unknown"
to the tracker, which then uses its own clock.
"""

from __future__ import annotations

_SECONDS_BELOW = 100_000_000_000  # 1e11 s is the year 5138; 1e11 ms is 1973
_MILLIS_BELOW = 100_000_000_000_000  # 1e14 ms is the year 5138; 1e14 us is 1973


def to_ms(stamp: int | None) -> int | None:
    """``1700000000`` (s), ``1700000000000`` (ms), ``1700000000000000`` (us) -> ``1700000000000``."""
    if stamp is None or stamp <= 0:
        return stamp
    if stamp < _SECONDS_BELOW:
        return stamp * 1000
    if stamp < _MILLIS_BELOW:
        return stamp
    return stamp // 1000
