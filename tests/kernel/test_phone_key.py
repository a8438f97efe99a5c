"""number_key: one key per number whatever its written form; hidden callers match nothing."""

from __future__ import annotations

import pytest

from bot.phone import number_key


@pytest.mark.parametrize("raw", ["79161234567", "+79161234567", "89161234567", "9161234567", " 89161234567 "])
def test_written_forms_of_one_russian_number_share_a_key(raw: str) -> None:
    assert number_key(raw, "RU") == "+79161234567"


@pytest.mark.parametrize("raw", ["", "anonymous", "Anonymous", "unknown", "restricted", "+", "abc", "8 800"])
def test_hidden_callers_have_no_key(raw: str) -> None:
    assert number_key(raw, "RU") == ""


def test_extensions_and_short_numbers_keep_their_digits() -> None:
    assert [number_key(n, "RU") for n in ("201", "112", "0611", "900")] == ["201", "112", "0611", "900"]


def test_foreign_numbers_and_fullwidth_digits() -> None:
    assert number_key("12025550123", "RU") == number_key("+12025550123", "RU") == "+12025550123"
    assert number_key("７９１６１２３４５６７", "RU") == ""  # not ASCII digits: matches nothing
