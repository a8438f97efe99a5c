"""Follow-ups of missed calls: /missed lists the chat's unresolved ones; the Done button.

Strategy: /missed reads the stored call records (``Store.calls_between``) and keeps the missed,
unresolved calls this chat is told about (its extensions rang, or it gets every missed call);
each gets a row with Call back and Done buttons, which keep the roles they need (policy table).
Done (the button, or ``/done CALL_ID``) closes only a call this chat was alerted about or that
rang its extensions; admins close any.
"""

from __future__ import annotations

from datetime import datetime

from bot.commands import args
from bot.commands.base import Ctx, Handler
from bot.domain import Button, CallRecord, MissedCall, OutMessage, Role, Span
from bot.errors import InvalidArgument, Refused
from bot.i18n import register
from bot.phone import format_number
from bot.reports import period, zone
from bot.text import flat

MAX_LISTED = 20

register(
    {
        "missed.usage": ("/missed [today|24h|week]", "/missed [today|24h|week]"),
        "missed.none": ("No unresolved missed calls ({label}).", "Нерешённых пропущенных нет ({label})."),
        "missed.title": ("Unresolved missed calls ({label}): {n}", "Нерешённые пропущенные ({label}): {n}"),
        "missed.more": ("… and {n} older", "… и ещё {n} раньше"),
        "missed.call": ("📞 {number}", "📞 {number}"),
        "missed.done": ("✅ Done {time}", "✅ Готово {time}"),
        "done.ok": ("Marked done.", "Отмечено как решённое."),
        "done.already": ("Already resolved.", "Уже решено."),
        "done.off": ("Follow-ups are not running.", "Отслеживание пропущенных не запущено."),
        "done.not_here": ("That call is not one of this chat's: it was not alerted here and did not ring "
                          "its extensions.",
                          "Это не звонок этого чата: о нём здесь не сообщали, и он не звонил на его номера."),
    }
)  # fmt: skip


def _ours(ctx: Ctx, rec: CallRecord) -> bool:
    return ctx.chat.alert_all_missed or bool(set(rec.extensions) & set(ctx.bound))


async def missed(ctx: Ctx) -> list[OutMessage]:
    """``/missed [today|24h|week]`` (default 24h): newest first."""
    args.need(ctx.args, 0, ctx.text("missed.usage"), at_most=1)
    name = args.choice(ctx.args[0], ("today", "24h", "week")) if ctx.args else "24h"
    span = period(name, ctx.chat.timezone, ctx.deps.clock())
    found = [r for r in await ctx.deps.store.calls_between(span.start_ms, span.end_ms)
             if r.missed and not r.resolution and r.direction != "internal" and _ours(ctx, r)]
    if not found:
        return [ctx.say("missed.none", label=span.label)]
    found.reverse()
    tz = zone(ctx.chat.timezone)
    lines, rows = [], []
    for rec in found[:MAX_LISTED]:
        at = datetime.fromtimestamp(rec.start_ms / 1000, tz).strftime("%d.%m %H:%M")
        number = flat(format_number(rec.caller, ctx.deps.settings.bot_country)) if rec.number_key else "—"
        lines.append(f"{at} {number} → {flat(', '.join(rec.extensions) or rec.callee)}")
        row = [Button(ctx.text("missed.call", number=number), "call", rec.caller)] if rec.number_key else []
        rows.append((*row, Button(ctx.text("missed.done", time=at[-5:]), "done", rec.call_id)))
    if len(found) > MAX_LISTED:
        lines.append(ctx.text("missed.more", n=len(found) - MAX_LISTED))
    title = ctx.text("missed.title", label=span.label, n=len(found))
    return [OutMessage((Span(title, "bold"), Span("\n" + "\n".join(lines))), tuple(rows))]


async def done(ctx: Ctx) -> list[OutMessage]:
    """The Done button (or ``/done CALL_ID``): resolved by hand, with who and when."""
    if len(ctx.args) != 1:
        raise InvalidArgument("args.missing", usage="/done CALL_ID")
    followups = ctx.deps.followups
    if followups is None:
        ctx.result = "unavailable"
        return [ctx.say("done.off")]
    if not await _ours_to_close(ctx, ctx.args[0]):
        raise Refused("done.not_here")
    who = ctx.cmd.user.display or ctx.cmd.user.username or ctx.cmd.user.user_id
    if not await followups.mark_done(ctx.args[0], who, ctx.deps.clock()):
        ctx.result = "already resolved"
        return [ctx.say("done.already")]
    return [ctx.say("done.ok")]


async def _ours_to_close(ctx: Ctx, call_id: str) -> bool:
    """An admin anywhere; else a call alerted to this chat, or one that rang its extensions."""
    if ctx.role is not None and ctx.role >= Role.ADMIN:
        return True
    alerts = await ctx.deps.store.missed_alerts(call_id)
    if any(e.chat == ctx.cmd.chat for e in alerts):
        return True
    bound = set(ctx.bound)
    starts = {e.alert.started_ms for e in alerts if isinstance(e.alert, MissedCall)}
    if any(bound & set(e.alert.extensions) for e in alerts if isinstance(e.alert, MissedCall)):
        return True
    for start in starts:
        records = await ctx.deps.store.calls_between(start, start + 1)
        if any(r.call_id == call_id and bound & set(r.extensions) for r in records):
            return True
    return False


HANDLERS: dict[str, Handler] = {"missed": missed, "done": done}
