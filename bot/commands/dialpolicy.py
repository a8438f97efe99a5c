"""Dial policy: which numbers a chat may dial, normalized to the digits the PBX takes.

Strategy: a short number (2-5 ASCII digits) is an extension candidate: it passes only when the PBX
knows it or an admin allow-listed it (``/dial allow 112``; checked in :mod:`bot.commands.base`);
anything else is parsed with ``phonenumbers`` in the home country; other countries and premium-rate
numbers need an admin switch. Only ASCII digits are accepted (fullwidth or other-script digits are
refused, never normalized and passed on). The per-user rate limiter is a sliding 60 s window in memory.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from bot.commands.args import EXT_RE, shown
from bot.errors import InvalidArgument
from bot.i18n import register
from bot.ratelimit import SlidingWindow

logger = logging.getLogger(__name__)

INTERNATIONAL_KEY = "dial.international"
PREMIUM_KEY = "dial.premium"
SHORT_ALLOW_KEY = "dial.short_allow"  # comma-separated short numbers admins allowed
SHORT_RE = re.compile(r"^[0-9]{2,5}$")
_JUNK = re.compile(r"[\s().\-]")
_ALLOWED = re.compile(r"^\+?[0-9]{2,20}$")
# Russian 8-809 numbers are premium rate even where the metadata lags.
_PREMIUM_PREFIXES = {"RU": ("7809",)}

register(
    {
        "dial.bad_number": ("“{value}” is not a phone number or extension.",
                            "«{value}» — не телефонный номер и не внутренний."),
        "dial.international": ("Calls abroad are disabled (an admin can allow them: /dial international on).",
                               "Звонки за границу запрещены "
                               "(админ может разрешить: /dial international on)."),
        "dial.premium": ("Premium-rate numbers are disabled (an admin can allow them: /dial premium on).",
                         "Платные номера запрещены (админ может разрешить: /dial premium on)."),
        "dial.short": ("{value} is not an extension of this PBX; other short numbers are refused "
                       "(an admin can allow one: /dial allow {value}).",
                       "{value} — не внутренний номер этой АТС; другие короткие номера запрещены "
                       "(админ может разрешить: /dial allow {value})."),
        "dial.rate": ("Too many calls: at most {limit} a minute. Try again in {wait} s.",
                      "Слишком много звонков: не больше {limit} в минуту. Повторите через {wait} с."),
    }
)


@dataclass(frozen=True, slots=True)
class DialTarget:
    digits: str  # what goes to the PBX
    is_extension: bool
    international: bool = False
    premium: bool = False


def classify(raw: str, country: str) -> DialTarget:
    """Parse ``raw`` (an extension or a phone number as people type it); raises
    ``InvalidArgument("dial.bad_number")`` for anything else."""
    compact = _JUNK.sub("", raw.strip())
    if not compact.isascii():
        raise InvalidArgument("dial.bad_number", value=shown(raw))
    if EXT_RE.match(compact):
        return DialTarget(compact, is_extension=True)
    if not _ALLOWED.match(compact):
        raise InvalidArgument("dial.bad_number", value=shown(raw))
    try:
        number = phonenumbers.parse(compact, country)
    except NumberParseException:
        raise InvalidArgument("dial.bad_number", value=shown(raw)) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidArgument("dial.bad_number", value=shown(raw))
    digits = phonenumbers.format_number(number, PhoneNumberFormat.E164).lstrip("+")
    region = phonenumbers.region_code_for_number(number)
    premium = phonenumbers.number_type(number) == PhoneNumberType.PREMIUM_RATE or digits.startswith(
        _PREMIUM_PREFIXES.get(country, ())
    )
    return DialTarget(digits, is_extension=False, international=region != country, premium=premium)


def check(target: DialTarget, *, allow_international: bool, allow_premium: bool) -> None:
    """Refuse what the admins have not allowed (``InvalidArgument`` with a ``dial.*`` key)."""
    if target.international and not allow_international:
        raise InvalidArgument("dial.international")
    if target.premium and not allow_premium:
        raise InvalidArgument("dial.premium")


class DialRateLimiter:
    """At most ``per_minute`` dials per user in any sliding 60 s window (in memory)."""

    WINDOW_S = 60.0

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window = SlidingWindow(self.WINDOW_S)

    def retry_after(self, user_key: str, now: float) -> float:
        """0 if a dial is allowed now (and records it), else seconds until one is."""
        wait = self._window.retry_after(user_key, now, self.per_minute)
        if wait == 0.0:
            self._window.hit(user_key, now)
        return wait
