"""/report [today|yesterday|week] and /settings report HH:MM|off (the daily report's time).

Strategy: the numbers and chart come from :class:`bot.reports.Reporter` (history first, the bot's
records filling in); a chat bound to extensions sees the calls of its extensions, a chat that gets
every missed call (or is not bound) sees the whole PBX. The daily time is a per-chat store
setting (``report_at:<chat>``); :class:`bot.reports.ReportScheduler` sends it.
"""

from __future__ import annotations

from bot.commands import args
from bot.commands.base import Ctx, Handler
from bot.domain import OutMessage
from bot.errors import InvalidArgument
from bot.i18n import register
from bot.reports import Reporter, period, report_key, scope_of, today_passed

register(
    {
        "report.usage": ("/report [today|yesterday|week]", "/report [today|yesterday|week]"),
        "report.at": ("Daily report at {time} ({tz}).", "Ежедневный отчёт в {time} ({tz})."),
        "report.off": ("Daily report is off.", "Ежедневный отчёт выключен."),
        "report.settings_usage": ("/settings report HH:MM | /settings report off",
                                  "/settings report ЧЧ:ММ | /settings report off"),
    }
)  # fmt: skip


async def report(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 0, ctx.text("report.usage"), at_most=1)
    name = args.choice(ctx.args[0], ("today", "yesterday", "week")) if ctx.args else "today"
    reporter = ctx.deps.reporter or Reporter(ctx.deps.store, ctx.deps.settings.bot_country)
    span = period(name, ctx.chat.timezone, ctx.deps.clock())
    return [await reporter.message(span, ctx.lang, scope_of(ctx.chat, ctx.bound))]


async def report_settings(ctx: Ctx) -> list[OutMessage]:
    """``/settings report HH:MM`` or ``off`` (admins: it is a settings change)."""
    usage = ctx.text("report.settings_usage")
    args.need(ctx.args, 2, usage, at_most=2)
    value = ctx.args[1].strip().lower()
    store, key = ctx.deps.store, report_key(ctx.chat.chat)
    if value in ("off", "выкл"):
        await store.set_setting(key, None)
        return [ctx.say("report.off")]
    if not args.HHMM_RE.match(value):
        raise InvalidArgument("args.missing", usage=usage)
    at = value
    await store.set_setting(key, at)
    # a time already past today starts tomorrow (no surprise report right after setting it)
    await today_passed(store, ctx.chat, at, ctx.deps.clock())
    return [ctx.say("report.at", time=at, tz=ctx.chat.timezone)]


HANDLERS: dict[str, Handler] = {"report": report}
