"""Quiet hours: spans within a day and over midnight, in the chat's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.quiet import in_quiet_hours, parse_hhmm, quiet_ends_at
from bot.domain import ChatRef, ChatSettings

MSK = ZoneInfo("Europe/Moscow")
CHAT = ChatRef("telegram", "1")


def at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = MSK) -> float:
    return datetime(2026, 3, day, hour, minute, tzinfo=zone).timestamp()


def chat(start: str | None, end: str | None, tz: str = "Europe/Moscow") -> ChatSettings:
    return ChatSettings(CHAT, timezone=tz, quiet_start=start, quiet_end=end)


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(21, 59, False), (22, 0, True), (23, 30, True), (0, 0, True), (7, 59, True), (8, 0, False),
     (12, 0, False)],
)
def test_span_over_midnight(hour: int, minute: int, quiet: bool) -> None:
    assert in_quiet_hours(chat("22:00", "08:00"), at(10, hour, minute)) is quiet


def test_span_within_a_day() -> None:
    settings = chat("13:00", "14:30")
    assert not in_quiet_hours(settings, at(10, 12, 59))
    assert in_quiet_hours(settings, at(10, 14, 29))
    assert quiet_ends_at(settings, at(10, 13, 10)) == at(10, 14, 30)


def test_quiet_ends_at_next_morning_or_same_morning() -> None:
    settings = chat("22:00", "08:00")
    assert quiet_ends_at(settings, at(10, 23, 0)) == at(11, 8, 0)
    assert quiet_ends_at(settings, at(11, 3, 0)) == at(11, 8, 0)
    assert quiet_ends_at(settings, at(11, 9, 0)) == at(11, 9, 0)  # not quiet: now


def test_uses_the_chats_time_zone() -> None:
    utc_23 = at(10, 23, 0, ZoneInfo("UTC"))  # 02:00 in Moscow, 19:00 in New York
    assert in_quiet_hours(chat("22:00", "08:00", "Europe/Moscow"), utc_23)
    assert not in_quiet_hours(chat("22:00", "08:00", "America/New_York"), utc_23)


def test_daylight_saving_night_ends_at_local_eight() -> None:
    ny = ZoneInfo("America/New_York")  # clocks jump forward on 2026-03-08 at 02:00
    settings = chat("22:00", "08:00", "America/New_York")
    ends = quiet_ends_at(settings, at(7, 23, 0, ny))
    assert datetime.fromtimestamp(ends, ny).hour == 8
    assert ends - at(7, 23, 0, ny) == 8 * 3600  # nine wall-clock hours, eight real ones


@pytest.mark.parametrize(
    ("start", "end", "tz"),
    [(None, "08:00", "UTC"), ("22:00", None, "UTC"), ("22:00", "22:00", "UTC"), ("25:00", "08:00", "UTC"),
     ("22h", "08:00", "UTC"), ("22:00", "08:00", "Mars/Olympus")],
)
def test_missing_or_bad_settings_mean_no_quiet_hours(start: str | None, end: str | None, tz: str) -> None:
    settings = chat(start, end, tz)
    assert not in_quiet_hours(settings, at(10, 23, 0))
    assert quiet_ends_at(settings, at(10, 23, 0)) == at(10, 23, 0)


def test_parse_hhmm() -> None:
    assert parse_hhmm("7:05") == 425 and parse_hhmm(" 23:59 ") == 1439
    assert parse_hhmm("24:00") is None and parse_hhmm("7:5") is None and parse_hhmm("") is None
