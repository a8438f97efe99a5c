"""Hangup causes in words: FreeSWITCH/Q.850 names from the PBX, explained in ru/en.

Codes come from the packaged ``hangup-causes.tsv``; the common causes have words in the i18n
catalog, any other (or unknown) name is shown raw rather than failing.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources

from bot.i18n import has, register, t

logger = logging.getLogger(__name__)

_WORDS: dict[str, tuple[str, str]] = {
    "NORMAL_CLEARING": ("call ended normally", "звонок завершён"),
    "ORIGINATOR_CANCEL": ("the caller hung up", "звонящий положил трубку"),
    "NO_ANSWER": ("no answer", "нет ответа"),
    "NO_USER_RESPONSE": ("the phone did not respond", "телефон не ответил"),
    "USER_BUSY": ("busy", "занято"),
    "CALL_REJECTED": ("call rejected", "вызов отклонён"),
    "LOSE_RACE": ("answered elsewhere", "ответили на другом телефоне"),
    "UNALLOCATED_NUMBER": ("number does not exist", "номер не существует"),
    "NO_ROUTE_DESTINATION": ("no route to the number", "нет маршрута до номера"),
    "SUBSCRIBER_ABSENT": ("subscriber unavailable", "абонент недоступен"),
    "USER_NOT_REGISTERED": ("phone not registered", "телефон не зарегистрирован"),
    "DESTINATION_OUT_OF_ORDER": ("destination out of order", "направление не работает"),
    "INVALID_NUMBER_FORMAT": ("invalid number format", "неверный формат номера"),
    "NORMAL_TEMPORARY_FAILURE": ("temporary failure", "временный сбой"),
    "NORMAL_CIRCUIT_CONGESTION": ("lines busy", "линии перегружены"),
    "RECOVERY_ON_TIMER_EXPIRE": ("timed out", "истекло время ожидания"),
    "PROGRESS_TIMEOUT": ("timed out", "истекло время ожидания"),
    "ALLOTTED_TIMEOUT": ("time limit reached", "превышен лимит времени"),
    "MEDIA_TIMEOUT": ("audio lost", "пропал звук"),
    "MANAGER_REQUEST": ("hung up by the bot or operator", "сброшен ботом или оператором"),
    "PICKED_OFF": ("picked up by another phone", "перехвачен другим телефоном"),
    "BLIND_TRANSFER": ("transferred", "переведён"),
    "ATTENDED_TRANSFER": ("transferred", "переведён"),
    "GATEWAY_DOWN": ("trunk down", "транк недоступен"),
    "SYSTEM_SHUTDOWN": ("PBX restarting", "АТС перезапускается"),
    "DECLINE": ("declined", "отклонён"),
}
register({f"cause.{name}": pair for name, pair in _WORDS.items()})


@lru_cache(maxsize=1)
def cause_codes() -> dict[str, int]:
    """Cause name -> numeric code, from the packaged TSV (empty if it cannot be read)."""
    codes: dict[str, int] = {}
    try:
        text = resources.files("bot.alerts").joinpath("hangup-causes.tsv").read_text(encoding="utf-8")
    except OSError as exc:
        logger.error("cannot read hangup-causes.tsv: %s", exc)
        return codes
    for line in text.splitlines()[1:]:
        name, _, code = line.partition("\t")
        if name and code.strip().isdigit():
            codes[name.strip()] = int(code)
    return codes


def cause_words(name: str, lang: str) -> str:
    """Words for a common cause in ``lang``; the raw name for any other (unknown) cause."""
    key = f"cause.{name.strip().upper()}"
    return t(lang, key) if has(key) else name
