"""Dial policy: classification, normalization, admin switches, per-user rate limit."""

from __future__ import annotations

import pytest

from bot.commands.dialpolicy import DialRateLimiter, check, classify
from bot.errors import InvalidArgument


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("+7 (916) 123-45-67", "79161234567"),
        ("89161234567", "79161234567"),
        ("79161234567", "79161234567"),
        ("9161234567", "79161234567"),
        ("8 (495) 123.45.67", "74951234567"),
        ("88001006729", "78001006729"),
    ],
)
def test_national_numbers_are_normalized(raw: str, digits: str) -> None:
    target = classify(raw, "RU")
    assert target.digits == digits
    assert not target.is_extension and not target.international and not target.premium
    check(target, allow_international=False, allow_premium=False)


@pytest.mark.parametrize("raw", ["20", "201", "12345"])
def test_extensions_pass_as_they_are(raw: str) -> None:
    target = classify(raw, "RU")
    assert target.is_extension and target.digits == raw


@pytest.mark.parametrize("raw", ["+12025550123", "810442079460000", "+442079460000", "+77012345678"])
def test_international_is_refused_until_allowed(raw: str) -> None:
    target = classify(raw, "RU")
    assert target.international
    with pytest.raises(InvalidArgument) as info:
        check(target, allow_international=False, allow_premium=False)
    assert info.value.key == "dial.international"
    check(target, allow_international=True, allow_premium=False)


@pytest.mark.parametrize("raw", ["88091234567", "+7 809 999-99-99"])
def test_premium_is_refused_until_allowed(raw: str) -> None:
    target = classify(raw, "RU")
    assert target.premium and not target.international
    with pytest.raises(InvalidArgument) as info:
        check(target, allow_international=True, allow_premium=False)
    assert info.value.key == "dial.premium"
    check(target, allow_international=False, allow_premium=True)


def test_foreign_premium_needs_both_switches() -> None:
    target = classify("+19005551234", "RU")
    assert target.premium and target.international
    with pytest.raises(InvalidArgument):
        check(target, allow_international=True, allow_premium=False)


@pytest.mark.parametrize(
    "raw", ["", "1", "abc", "123456", "+7916; rm -rf /", "'; DROP TABLE x;--", "<b>8916</b>", "+0", "7" * 25]
)
def test_garbage_is_a_bad_number(raw: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        classify(raw, "RU")
    assert info.value.key == "dial.bad_number"


def test_home_country_is_configurable() -> None:
    assert not classify("+12025550123", "US").international
    assert classify("+79161234567", "US").international


def test_rate_limiter_sliding_window() -> None:
    limiter = DialRateLimiter(2)
    assert limiter.retry_after("u", 0.0) == 0
    assert limiter.retry_after("u", 10.0) == 0
    assert limiter.retry_after("u", 20.0) == pytest.approx(40.0)
    assert limiter.retry_after("other", 20.0) == 0  # per user
    assert limiter.retry_after("u", 60.5) == 0  # the first dial left the window
    assert limiter.retry_after("u", 61.0) > 0
