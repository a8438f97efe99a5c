"""``/history [N|today]``: this chat's last calls from the PBX's call history (HTTP API).

Strategy: read the history of the last day (``N``, default 10, at most 50; a week when the day
holds fewer) or since local midnight (``today``), keep the calls of this chat's extensions (rang,
dialled or calling) and print one line each: time, caller -> destination, verdict, ring and talk.
Viewer role and above; unbound chats are told to /bind first.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import args
from bot.commands.base import Ctx, Handler
from bot.domain import HistoryRecord, OutMessage, Span
from bot.errors import InvalidArgument, PbxNotSupported
from bot.i18n import register
from bot.phone import format_number
from bot.text import flat

DEFAULT_N, MAX_N, DAY_S, WEEK_S = 10, 50, 86400, 7 * 86400
NAME_MAX = 40

register(
    {
        "history.usage": ("/history [N|today]", "/history [N|today]"),
        "history.title": ("Last calls of {exts}:", "Последние звонки {exts}:"),
        "history.none": ("No calls of {exts} in the call history for this period.",
                         "В истории звонков нет звонков {exts} за этот период."),
        "history.unbound": ("This chat has no extensions: /bind one first.",
                            "У этого чата нет номеров: сначала /bind."),
        "history.answered": ("answered by {ext}", "ответил {ext}"),
        "history.answered_any": ("answered", "отвечен"),
        "history.missed": ("missed", "пропущен"),
        "history.times": ("ring {ring}, talk {talk}", "ожидание {ring}, разговор {talk}"),
    }
)  # fmt: skip


def _n(ctx: Ctx) -> int | None:
    """N from the arguments; None for "today"."""
    args.need(ctx.args, 0, ctx.text("history.usage"), at_most=1)
    if not ctx.args:
        return DEFAULT_N
    raw = ctx.args[0].strip().lower()
    if raw in ("today", "сегодня"):
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidArgument("args.missing", usage=ctx.text("history.usage"))
    return min(int(raw), MAX_N)


def mine(record: HistoryRecord, exts: set[str]) -> bool:
    """A call of these extensions: one rang, was dialled, or placed it."""
    return bool(exts & {*record.extensions, record.destination, record.caller_number})


def _mmss(seconds: int) -> str:
    return f"{max(0, seconds) // 60}:{max(0, seconds) % 60:02d}"


def line(ctx: Ctx, r: HistoryRecord, zone: ZoneInfo) -> str:
    """One call: time, who -> where, verdict, ring and talk time."""
    when = datetime.fromtimestamp(r.start_s, zone).strftime("%d.%m %H:%M")
    country = ctx.deps.settings.bot_country
    who = flat(format_number(r.caller_number, country) if len(r.caller_number) > 5 else r.caller_number)
    if r.caller_name and r.caller_name != r.caller_number:
        who += f" ({flat(r.caller_name, NAME_MAX)})"  # text from outside: one bounded line
    if r.missed:
        verdict = "❌ " + ctx.text("history.missed")
    elif r.answered_by:
        verdict = "✅ " + ctx.text("history.answered", ext=flat(r.answered_by))
    else:
        verdict = "✅ " + ctx.text("history.answered_any")
    ring = max(0, r.duration_s - r.talk_s)
    times = ctx.text("history.times", ring=_mmss(ring), talk=_mmss(r.talk_s))
    return f"{when} {who} → {flat(r.destination)} · {verdict} · {times}"


async def history(ctx: Ctx) -> list[OutMessage]:
    n = _n(ctx)
    source = ctx.deps.history
    if source is None:
        raise PbxNotSupported("history", ctx.deps.pbx.api_name)
    if not ctx.bound:
        return [ctx.say("history.unbound")]
    zone, now = ZoneInfo(ctx.chat.timezone), int(ctx.deps.clock())
    exts = set(ctx.bound)
    if n is None:
        midnight = datetime.fromtimestamp(now, zone).replace(hour=0, minute=0, second=0, microsecond=0)
        found = [r for r in await source.search(int(midnight.timestamp()), now + 1) if mine(r, exts)]
    else:
        found = [r for r in await source.search(now - DAY_S, now + 1) if mine(r, exts)]
        if len(found) < n:
            found = [r for r in await source.search(now - WEEK_S, now + 1) if mine(r, exts)]
        found = found[-n:]
    shown = ", ".join(sorted(exts))
    if not found:
        return [ctx.say("history.none", exts=shown)]
    spans = [Span(ctx.text("history.title", exts=shown), "bold")]
    spans += [Span("\n" + line(ctx, r, zone)) for r in reversed(found)]
    return [OutMessage(tuple(spans))]


HANDLERS: dict[str, Handler] = {"history": history}
