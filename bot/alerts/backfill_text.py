"""Words for alerts found in the call history after a gap (ru/en), kept apart from render.py."""

from __future__ import annotations

from bot.i18n import register, t

register(
    {
        "backfill.offline": ("Found in the call history: while the bot was offline",
                             "Найден в истории звонков: пока бот был выключен"),
        "backfill.link_down": ("Found in the call history: while the PBX link was down",
                               "Найден в истории звонков: пока не было связи с АТС"),
        "backfill.answered_title": ("Answered call", "Отвеченный звонок"),
        "backfill.answered": ("✅ Settled by the call history: this call was answered after all",
                              "✅ По истории звонков: на этот звонок всё-таки ответили"),
        "backfill.digest_offline": ("{n} missed calls while the bot was offline|{n} missed call while the bot was offline",
                                    "{n} пропущенных звонков, пока бот был выключен|{n} пропущенный звонок, пока бот был выключен|{n} пропущенных звонка, пока бот был выключен"),
        "backfill.digest_link_down": ("{n} missed calls while the PBX link was down|{n} missed call while the PBX link was down",
                                      "{n} пропущенных звонков, пока не было связи с АТС|{n} пропущенный звонок, пока не было связи с АТС|{n} пропущенных звонка, пока не было связи с АТС"),
    }
)  # fmt: skip


def backfill_line(lang: str, backfill: str) -> str:
    """The line a backfilled (or history-settled) missed-call alert carries."""
    key = f"backfill.{backfill}"
    return t(lang, key if backfill in ("offline", "link_down", "answered") else "backfill.offline")


def digest_key(backfill: str) -> str:
    """The plural i18n key of a digest's heading ("{n} missed calls while ...")."""
    return "backfill.digest_link_down" if backfill == "link_down" else "backfill.digest_offline"
