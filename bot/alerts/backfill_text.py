"""Words for alerts found in the call history after a gap (ru/en), kept apart from render.py."""

from __future__ import annotations

from bot.i18n import register, t

_OFF_EN, _OFF_RU = " while the bot was offline", ", пока бот был выключен"
_LINK_EN, _LINK_RU = " while the PBX link was down", ", пока не было связи с АТС"
_EN = "{n} missed calls%s|{n} missed call%s"
_RU = "{n} пропущенных звонков%s|{n} пропущенный звонок%s|{n} пропущенных звонка%s"

register(
    {
        "backfill.offline": (
            "Found in the call history: while the bot was offline",
            "Найден в истории звонков: пока бот был выключен",
        ),
        "backfill.link_down": (
            "Found in the call history: while the PBX link was down",
            "Найден в истории звонков: пока не было связи с АТС",
        ),
        "backfill.answered_title": ("Answered call", "Отвеченный звонок"),
        "backfill.answered": (
            "✅ Settled by the call history: this call was answered after all",
            "✅ По истории звонков: на этот звонок всё-таки ответили",
        ),
        "backfill.digest_offline": (_EN % (_OFF_EN, _OFF_EN), _RU % (_OFF_RU, _OFF_RU, _OFF_RU)),
        "backfill.digest_link_down": (_EN % (_LINK_EN, _LINK_EN), _RU % (_LINK_RU, _LINK_RU, _LINK_RU)),
    }
)


def backfill_line(lang: str, backfill: str) -> str:
    """The line a backfilled (or history-settled) missed-call alert carries."""
    key = f"backfill.{backfill}"
    return t(lang, key if backfill in ("offline", "link_down", "answered") else "backfill.offline")


def digest_key(backfill: str) -> str:
    """The plural i18n key of a digest's heading ("{n} missed calls while ...")."""
    return "backfill.digest_link_down" if backfill == "link_down" else "backfill.digest_offline"
