"""Values at the database's edge: both SQL stores keep integers in 64 bits.

A stamp past that (a PBX that sent 1e20) is stored as the largest one, so an out-of-range value
costs its precision, never the write (or the batch of writes it is part of).
"""

from __future__ import annotations

_I64 = (-(2**63), 2**63 - 1)


def i64(value: int) -> int:
    """``value`` clamped to a 64-bit signed integer (SQLite INTEGER, PostgreSQL bigint)."""
    return min(max(int(value), _I64[0]), _I64[1])
