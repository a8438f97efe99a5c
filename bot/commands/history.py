"""``/history [N|today]``: this chat's last calls from the PBX's call history (HTTP API).

Strategy: read the history of the last day (``N``, default 10, at most 50; a week when the day
holds fewer) or since local midnight (``today``), keep the calls of this chat's extensions (rang,
dialled or calling) and print one line each: time, caller -> callee, verdict, ring and talk.
One source of truth for a call's times: a call the bot saw itself is shown from its own record
(the one its alerts and their "talked 0:35" edits come from: same direction, verdict, ring and
talk, same rounding); the history's fields only for calls the bot did not see.
Viewer role and above; unbound chats are told to /bind first.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.alerts import talk_clock
from bot.commands import args
from bot.commands.base import Ctx, Handler
from bot.domain import CallRecord, HistoryRecord, OutMessage, Span
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
        "history.no_answer": ("no answer", "без ответа"),
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


DIRECTIONS = {"inbound": "in", "outbound": "out", "local": "internal"}  # accountcode -> CallRecord's


def _number(raw: str, country: str) -> str:
    return flat(format_number(raw, country) if len(raw) > 5 else raw)


def own_view(r: HistoryRecord, own: CallRecord | None) -> CallRecord:
    """The call as shown: the bot's own record when it has one, else the history's fields."""
    if own is not None:
        return own
    verdict = "missed" if r.missed else "answered" if r.talk_s > 0 else "unanswered"
    return CallRecord(
        call_id=r.uuid, start_ms=r.start_s * 1000, direction=DIRECTIONS.get(r.direction, "in"),
        caller=r.caller_number, callee=r.destination, number_key="", extensions=r.extensions,
        answered_by=r.answered_by, verdict=verdict, ring_s=max(0, r.duration_s - r.talk_s), talk_s=r.talk_s,
    )  # fmt: skip


def line(ctx: Ctx, r: HistoryRecord, zone: ZoneInfo, own: CallRecord | None = None) -> str:
    """One call: time, caller -> callee, verdict, ring and talk time."""
    call = own_view(r, own)
    when = datetime.fromtimestamp(r.start_s, zone).strftime("%d.%m %H:%M")
    country = ctx.deps.settings.bot_country
    who = _number(call.caller, country)
    if r.caller_name and r.caller_name not in (r.caller_number, call.callee) and call.direction != "out":
        who += f" ({flat(r.caller_name, NAME_MAX)})"  # text from outside: one bounded line
    if call.verdict == "missed":
        verdict = "❌ " + ctx.text("history.missed")
    elif call.verdict != "answered":
        verdict = "↩ " + ctx.text("history.no_answer")
    elif call.answered_by and call.direction != "out":
        verdict = "✅ " + ctx.text("history.answered", ext=flat(call.answered_by))
    else:
        verdict = "✅ " + ctx.text("history.answered_any")
    times = ctx.text("history.times", ring=talk_clock(round(call.ring_s * 1000)),
                     talk=talk_clock(round(call.talk_s * 1000)))
    return f"{when} {who} → {_number(call.callee, country)} · {verdict} · {times}"


async def own_records(ctx: Ctx, found: list[HistoryRecord]) -> dict[str, CallRecord]:
    """The bot's records of these calls, by call id (the history's uuid)."""
    if not found:
        return {}
    lo, hi = min(r.start_s for r in found) - 60, max(r.start_s for r in found) + 60
    wanted = {r.uuid for r in found}
    records = await ctx.deps.store.calls_between(lo * 1000, hi * 1000)
    return {c.call_id: c for c in records if c.call_id in wanted}


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
    own = await own_records(ctx, found)
    spans = [Span(ctx.text("history.title", exts=shown), "bold")]
    spans += [Span("\n" + line(ctx, r, zone, own.get(r.uuid))) for r in reversed(found)]
    return [OutMessage(tuple(spans))]


HANDLERS: dict[str, Handler] = {"history": history}
