"""How a missed-call alert shows its follow-up: resolved lines, callback tries, its buttons.

Strategy: pure text in the chat's language; the renderer appends these lines to the alert, so the
edited message reads "✅ Called back by 201 (Anna Smirnova) at 14:05, talked 2:13".
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain import Button, MissedCall
from bot.i18n import register, t
from bot.text import flat

register(
    {
        "followup.callback": ("✅ Called back by {who} at {time}", "✅ Перезвонил {who} в {time}"),
        "followup.callback_anon": ("✅ Called back at {time}", "✅ Перезвонили в {time}"),
        "followup.talked": (", talked {talk}", ", разговор {talk}"),
        "followup.again": ("✅ Called again at {time}, answered by {who}",
                           "✅ Позвонил снова в {time}, ответил {who}"),
        "followup.done": ("✅ Marked done by {who} at {time}", "✅ Отмечено как решённое: {who}, {time}"),
        "followup.try": ("↩ {ext} tried at {time}, no answer", "↩ {ext} звонил в {time}, без ответа"),
        "followup.btn_done": ("Done", "Готово"),
    }
)  # fmt: skip


def talk_clock(ms: int) -> str:
    """``133_000`` -> ``"2:13"`` (``h:mm:ss`` past an hour)."""
    s = max(0, round(ms / 1000))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def who(ext: str, name: str) -> str:
    """``201 (Anna Smirnova)``; both parts are outside text (the PBX's), flattened to one line."""
    ext, name = flat(ext), flat(name, 40)
    return f"{ext} ({name})" if name and name != ext else ext


def lines(m: MissedCall, lang: str, hhmm: Callable[[int], str]) -> list[str]:
    """The follow-up lines of ``m``: its resolution, or the callback tries so far."""
    if m.resolution == "callback":
        key = "followup.callback" if m.resolved_by else "followup.callback_anon"
        line = t(lang, key, who=who(m.resolved_by, m.resolved_name), time=hhmm(m.resolved_ms))
        return [line + (t(lang, "followup.talked", talk=talk_clock(m.talk_ms)) if m.talk_ms >= 1000 else "")]
    if m.resolution == "again":
        return [t(lang, "followup.again", time=hhmm(m.resolved_ms), who=who(m.resolved_by, m.resolved_name))]
    if m.resolution == "done":
        return [t(lang, "followup.done", who=flat(m.resolved_by, 40), time=hhmm(m.resolved_ms))]
    return [t(lang, "followup.try", ext=ext, time=hhmm(ms)) for ext, ms in m.tries]


def buttons(m: MissedCall, lang: str, call_back: Button | None) -> tuple[tuple[Button, ...], ...]:
    """Open: Call back (when there is a number) and Done; resolved: none."""
    if m.resolution:
        return ()
    row = (call_back,) if call_back is not None else ()
    return ((*row, Button(t(lang, "followup.btn_done"), "done", m.call_id)),)
