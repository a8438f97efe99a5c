"""Named periods in a chat's time zone: today, yesterday, 24h, week (the last 7 local days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PERIODS = ("today", "yesterday", "24h", "week")


@dataclass(frozen=True, slots=True)
class Period:
    """``[start_ms, end_ms)`` in UNIX ms; ``label`` for people ("29.11.2026", "23.11–29.11")."""

    name: str
    start_ms: int
    end_ms: int
    label: str
    tz: str


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def period(name: str, tz: str, now: float) -> Period:
    """The period ``name`` (one of :data:`PERIODS`) as of ``now`` (UNIX seconds)."""
    local = datetime.fromtimestamp(now, zone(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if name == "24h":
        start, end = local - timedelta(hours=24), local
    elif name == "yesterday":
        start, end = midnight - timedelta(days=1), midnight
    elif name == "week":
        start, end = midnight - timedelta(days=6), local
    else:
        start, end = midnight, local
    if name in ("today", "yesterday"):
        label = start.strftime("%d.%m.%Y")
    else:
        label = f"{start.strftime('%d.%m %H:%M')}–{end.strftime('%d.%m %H:%M')}"
    return Period(name, int(start.timestamp() * 1000), int(end.timestamp() * 1000) + 1, label, tz)
