"""Phone number display: the PBX sends bare digits, people read grouped numbers.

A number written nationally ("8 800 ...") stays national, anything else is shown
internationally; extensions and text that is not a phone number come back unchanged.
"""

from __future__ import annotations

import functools
import re

import phonenumbers

_DIGITS = re.compile(r"\+?\d{6,20}")


def is_extension(number: str) -> bool:
    """A short internal number (2-5 digits)."""
    return 2 <= len(number) <= 5 and number.isascii() and number.isdigit()


@functools.lru_cache(maxsize=4096)  # the same trunks and callers recur; parsing costs ~40 us
def format_number(number: str, country: str) -> str:
    """``"79161234567"`` (RU) -> ``"+7 916 123-45-67"``; ``"88001006729"`` ->
    ``"8 (800) 100-67-29"``; extensions and unparseable input are returned unchanged."""
    raw = number.strip()
    if not _DIGITS.fullmatch(raw):
        return number
    parsed = _parse(raw, country)
    if parsed is None and not raw.startswith("+"):
        parsed = _parse("+" + raw, country)
    if parsed is None:
        return number
    national = parsed.country_code_source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL if national else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(parsed, style))


@functools.lru_cache(maxsize=4096)  # number_key and format_number parse the same caller (#14)
def _parse(raw: str, country: str) -> phonenumbers.PhoneNumber | None:
    """The valid number ``raw`` is (read with ``country`` as default region), else None; shared
    by callers, so never modify what it returns."""
    try:
        parsed = phonenumbers.parse(raw, country.upper() or None, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


#: caller IDs that name nobody: never grouped or matched by number
_HIDDEN = frozenset({"", "anonymous", "unknown", "restricted", "private", "unavailable", "hidden"})


@functools.lru_cache(maxsize=4096)
def number_key(number: str, country: str) -> str:
    """One key per *number*, whatever its written form, for grouping and matching callers.

    ``79161234567``, ``+79161234567``, ``89161234567`` and ``9161234567`` (RU) are one caller:
    a valid number becomes E.164 (``+79161234567``) read with ``country`` as the default region.
    Extensions and other digit strings that are not valid numbers keep their digits; a hidden or
    anonymous caller ID (no digits, or a word like "anonymous") is ``""``: it matches nothing.
    """
    raw = number.strip()
    if raw.lower() in _HIDDEN:
        return ""
    digits = raw[1:] if raw.startswith("+") else raw
    if not (digits.isascii() and digits.isdigit()):
        return ""
    if is_extension(digits) or len(digits) < 6:
        return digits
    for candidate in (raw, "+" + digits) if not raw.startswith("+") else (raw,):
        parsed = _parse(candidate, country)
        if parsed is not None:
            return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    return digits


def number_tail(number: str) -> str:
    """A cheap bucket for a caller number (its last 7 digits); "" for a hidden caller. Numbers in
    one bucket are compared exactly with :func:`number_key` only when their strings differ."""
    if number.isascii() and number.isdigit():
        return number[-7:]
    s = number.strip()
    digits = s[1:] if s.startswith("+") else s
    return digits[-7:] if digits.isascii() and digits.isdigit() else ""
