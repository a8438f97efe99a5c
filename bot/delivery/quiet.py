"""Quiet hours: pure functions over a chat's ``quiet_start``/``quiet_end`` ("HH:MM", local time in
the chat's ``timezone``). A span may cross midnight (22:00-08:00); equal or missing ends mean none.

What the delivery worker does with them (``bot.delivery.worker``):
- during quiet hours nothing is sent to the chat; its outbox entries are held (rescheduled to the
  end of the span, never dropped);
- when the span ends, held alerts (missed calls, registration changes) go out as ONE digest when
  there is more than one of them, or as the plain alert when there is just one;
- call cards are not sent during quiet hours; afterwards only their latest state is sent (or the
  existing message is edited). A card that was never posted and whose call ended during quiet
  hours is dropped unless the call was missed: an answered call that finished hours ago is not
  worth a message, a missed one is (and it is also covered by the chat's missed-call alerts when
  it has them).
An unknown time zone or a malformed time disables quiet hours for that chat (never a crash).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain import ChatSettings


def parse_hhmm(text: str | None) -> int | None:
    """Minutes after midnight for "HH:MM" (or "H:MM"); None when missing or malformed."""
    if not text:
        return None
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        return None
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        return None
    return h * 60 + m


def _span(settings: ChatSettings) -> tuple[int, int, ZoneInfo] | None:
    start, end = parse_hhmm(settings.quiet_start), parse_hhmm(settings.quiet_end)
    if start is None or end is None or start == end:
        return None
    try:
        zone = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return start, end, zone


def _inside(minute: int, start: int, end: int) -> bool:
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # the span crosses midnight


def in_quiet_hours(settings: ChatSettings, now: float) -> bool:
    """True when ``now`` (a UNIX time) falls within the chat's quiet hours."""
    span = _span(settings)
    if span is None:
        return False
    start, end, zone = span
    local = datetime.fromtimestamp(now, zone)
    return _inside(local.hour * 60 + local.minute, start, end)


def quiet_ends_at(settings: ChatSettings, now: float) -> float:
    """The UNIX time the current quiet span ends; ``now`` itself when not in quiet hours."""
    span = _span(settings)
    if span is None:
        return now
    start, end, zone = span
    local = datetime.fromtimestamp(now, zone)
    minute = local.hour * 60 + local.minute
    if not _inside(minute, start, end):
        return now
    day: date = local.date() if minute < end else local.date() + timedelta(days=1)
    ends = datetime.combine(day, time(end // 60, end % 60), tzinfo=zone)
    return max(now, ends.timestamp())


__all__ = ["in_quiet_hours", "parse_hhmm", "quiet_ends_at"]
