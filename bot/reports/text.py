"""A report's numbers as text in the chat's language (the photo's caption)."""

from __future__ import annotations

from bot.i18n import register, t
from bot.reports.numbers import ReportNumbers
from bot.text import flat

MAX_EXTENSIONS = 10  # a caption has room for about this many table rows (Telegram: 1024)

register(
    {
        "report.title": ("Calls report: {label}", "Отчёт по звонкам: {label}"),
        "report.inbound": ("Inbound: {n}", "Входящих: {n}"),
        "report.answered": ("Answered: {n} ({rate}%)", "Отвечено: {n} ({rate}%)"),
        "report.missed": ("Missed: {n} (resolved {resolved}, unresolved {unresolved})",
                          "Пропущено: {n} (решено {resolved}, не решено {unresolved})"),
        "report.wait": ("Wait before answer: median {median}, longest {longest}",
                        "Ожидание ответа: медиана {median}, максимум {longest}"),
        "report.busiest": ("Busiest hour: {hour}", "Самый загруженный час: {hour}"),
        "report.table": ("Ext: rang / answered / missed", "Номер: звонило / ответил / пропустил"),
        "report.more": ("… and {n} more", "… и ещё {n}"),
        "report.chart": ("Calls per hour, {label}", "Звонки по часам, {label}"),
        "report.answered_series": ("answered", "отвечено"),
        "report.missed_series": ("missed", "пропущено"),
    }
)  # fmt: skip


def _secs(value: float | None) -> str:
    if value is None:
        return "—"
    s = round(value)
    return f"{s // 60}:{s % 60:02d}"


def caption(n: ReportNumbers, lang: str) -> str:
    lines = [
        t(lang, "report.title", label=n.period.label),
        t(lang, "report.inbound", n=n.inbound),
        t(lang, "report.answered", n=n.answered, rate=round(n.answer_rate * 100)),
        t(lang, "report.missed", n=n.missed, resolved=n.resolved, unresolved=n.unresolved),
        t(lang, "report.wait", median=_secs(n.median_wait_s), longest=_secs(n.longest_wait_s)),
    ]
    if n.busiest_hour is not None:
        hour = f"{n.busiest_hour:02d}:00–{(n.busiest_hour + 1) % 24:02d}:00"
        lines.append(t(lang, "report.busiest", hour=hour))
    if n.extensions:
        lines.append(t(lang, "report.table"))
        shown = n.extensions[:MAX_EXTENSIONS]
        lines += [f"{flat(r.ext, 20)}: {r.rang} / {r.answered} / {r.missed}" for r in shown]
        if len(n.extensions) > MAX_EXTENSIONS:
            lines.append(t(lang, "report.more", n=len(n.extensions) - MAX_EXTENSIONS))
    return "\n".join(lines)
