"""/report [today|yesterday|week] and /settings report HH:MM|off (the daily report's time).

Strategy: the numbers and chart come from :class:`bot.reports.Reporter` (history first, the bot's
records filling in); a chat bound to extensions sees the calls of its extensions, a chat that gets
every missed call (``/subscribe all on``) sees the whole PBX. An unbound chat's viewers see no
PBX-wide numbers: there the whole PBX is for admins only (so ``/unbind`` never widens what a
viewer sees). The daily time is a per-chat store setting (``report_at:<chat>``);
:class:`bot.reports.ReportScheduler` sends it.
"""

from __future__ import annotations

from bot.commands import args
from bot.commands.base import Ctx, Handler
from bot.domain import OutMessage, Role
from bot.errors import InvalidArgument, Refused
from bot.i18n import register
from bot.reports import Reporter, period, report_key, scope_of, today_passed

register(
    {
        "report.usage": ("/report [today|yesterday|week]", "/report [today|yesterday|week]"),
        "report.at": ("Daily report at {time} ({tz}).", "Ежедневный отчёт в {time} ({tz})."),
        "report.off": ("Daily report is off.", "Ежедневный отчёт выключен."),
        "report.settings_usage": ("/settings report HH:MM | /settings report off",
                                  "/settings report ЧЧ:ММ | /settings report off"),
        "report.unbound": ("This chat has no extensions: /bind one for its report, or an admin can "
                           "/subscribe all on for the whole PBX.",
                           "У этого чата нет номеров: привяжите номер (/bind) для его отчёта, или админ "
                           "может включить /subscribe all on для всей АТС."),
    }
)  # fmt: skip


async def report(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 0, ctx.text("report.usage"), at_most=1)
    name = args.choice(ctx.args[0], ("today", "yesterday", "week")) if ctx.args else "today"
    reporter = ctx.deps.reporter or Reporter(ctx.deps.store, ctx.deps.settings.bot_country)
    scope = scope_of(ctx.chat, ctx.bound)
    if scope == frozenset():  # unbound, not subscribed to every missed call
        if ctx.role is None or ctx.role < Role.ADMIN:
            raise Refused("report.unbound")
        scope = None  # an admin sees the whole PBX anywhere
    span = period(name, ctx.chat.timezone, ctx.deps.clock())
    return [await reporter.message(span, ctx.lang, scope)]


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
