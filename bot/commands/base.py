"""What every command handler receives: the dependencies, the command and the chat's state.

Strategy: a handler is ``async (Ctx) -> list[OutMessage]``; it validates with :mod:`bot.commands.args`,
talks to the PBX and raises typed errors, which the service turns into replies and audit results.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.alerts import FollowUps
from bot.commands import args
from bot.commands.confirm import Confirmations
from bot.commands.dialpolicy import (
    INTERNATIONAL_KEY,
    PREMIUM_KEY,
    SHORT_ALLOW_KEY,
    DialRateLimiter,
    DialTarget,
    check,
    classify,
)
from bot.commands.pairing import PairingThrottle
from bot.config import Settings
from bot.domain import ActiveCall, Button, ChatCommand, ChatSettings, OutMessage, Role, Span
from bot.errors import InvalidArgument
from bot.i18n import register, t
from bot.ports import CallHistory, CallsView, PbxApi, PresenceView, Store
from bot.reports import Reporter
from bot.text import flat

register(
    {
        "confirm.yes": ("Confirm", "Подтвердить"),
        "confirm.no": ("Cancel", "Отмена"),
        "confirm.hint": (" (the buttons work for 5 minutes, for you only)",
                         " (кнопки действуют 5 минут и только для вас)"),
    }
)


@dataclass
class Deps:
    """Everything handlers may use; one instance per :class:`bot.commands.service.CommandService`."""

    store: Store
    pbx: PbxApi
    calls: CallsView
    presence: PresenceView
    settings: Settings
    clock: Callable[[], float]
    confirmations: Confirmations = field(default_factory=Confirmations)
    limiter: DialRateLimiter = field(default_factory=lambda: DialRateLimiter(5))
    pairing: PairingThrottle = field(default_factory=PairingThrottle)
    history: CallHistory | None = None  # the PBX's call history (/history), when configured
    followups: FollowUps | None = None  # missed-call follow-ups (Done button)
    reporter: Reporter | None = None  # /report with history and chart (None: numbers only)


@dataclass
class Ctx:
    """One command in flight. ``result`` is what the audit records ("ok" unless set)."""

    deps: Deps
    cmd: ChatCommand
    chat: ChatSettings
    role: Role | None
    bound: list[str]
    confirmed: bool = False
    result: str = "ok"
    allowed: bool = True  # False once a check refused it: audited as refused (✗)

    @property
    def lang(self) -> str:
        return self.chat.language

    @property
    def args(self) -> tuple[str, ...]:
        return self.cmd.args

    @property
    def user_key(self) -> str:
        return str(self.cmd.user)

    def text(self, key: str, **params: object) -> str:
        return t(self.lang, key, **params)

    def say(self, key: str, **params: object) -> OutMessage:
        return OutMessage.plain(self.text(key, **params))


Handler = Callable[[Ctx], Awaitable[list[OutMessage]]]


def ask_confirm(ctx: Ctx, prompt: str) -> list[OutMessage]:
    """Park the command and answer with Confirm/Cancel buttons (audited as "pending")."""
    token = ctx.deps.confirmations.park(ctx.cmd, ctx.deps.clock())
    ctx.result = "pending"
    buttons = (
        Button(ctx.text("confirm.yes"), "confirm", token),
        Button(ctx.text("confirm.no"), "cancel", token),
    )
    return [OutMessage((Span(prompt, "bold"), Span(ctx.text("confirm.hint"))), (buttons,))]


async def on_roster(ctx: Ctx, ext: str) -> bool:
    """Does the PBX know ``ext``: bound here, seen by presence, or in user_list (when it has one)?"""
    if ext in ctx.bound or ext in ctx.deps.presence.extension_states():
        return True
    pbx = ctx.deps.pbx
    return "user_list" in pbx.capabilities and ext in {u.uid for u in await pbx.user_list()}


async def known_extension(ctx: Ctx, raw: str) -> str:
    """A valid extension the PBX knows: bound somewhere here, seen by presence, or in user_list."""
    ext = args.extension(raw)
    if await on_roster(ctx, ext):
        return ext
    raise InvalidArgument("args.unknown_ext", value=ext)


async def short_allowed(store: Store) -> list[str]:
    """The short numbers admins allowed with ``/dial allow`` (sorted)."""
    raw = await store.get_setting(SHORT_ALLOW_KEY) or ""
    return sorted({n for n in raw.split(",") if n})


def calls_of(ctx: Ctx, exts: list[str] | None) -> list[ActiveCall]:
    """Active calls involving any of ``exts`` (None: every call)."""
    active = ctx.deps.calls.active_calls()
    if exts is None:
        return active
    wanted = set(exts)
    return [c for c in active if wanted & set(c.extensions) or c.caller_number in wanted]


def find_call(ctx: Ctx, uuid: str, exts: list[str] | None) -> ActiveCall | None:
    for call in calls_of(ctx, exts):
        if uuid == call.call_id or uuid in call.legs:
            return call
    return None


def scope_exts(ctx: Ctx) -> list[str] | None:
    """Whose calls this user may act on: admins every call, others the chat's extensions."""
    return None if ctx.role is not None and ctx.role >= Role.ADMIN else ctx.bound


async def allowed_target(ctx: Ctx, raw: str) -> DialTarget:
    """Classify and apply the admins' dial switches (no rate limit is spent)."""
    target = classify(raw, ctx.deps.settings.bot_country)
    store = ctx.deps.store
    if target.is_extension and target.digits not in await short_allowed(store):
        if not await on_roster(ctx, target.digits):  # 112, 0911, 0900...: not ours, so refused
            raise InvalidArgument("dial.short", value=target.digits)
    check(
        target,
        allow_international=await store.get_setting(INTERNATIONAL_KEY) == "on",
        allow_premium=await store.get_setting(PREMIUM_KEY) == "on",
    )
    return target


async def dial_target(ctx: Ctx, raw: str) -> DialTarget:
    """Classify, apply the admins' dial switches and the per-user rate limit."""
    target = await allowed_target(ctx, raw)
    wait = ctx.deps.limiter.retry_after(ctx.user_key, ctx.deps.clock())
    if wait > 0:
        raise InvalidArgument("dial.rate", limit=ctx.deps.limiter.per_minute, wait=int(wait) + 1)
    return target


def call_line(ctx: Ctx, call: ActiveCall) -> str:
    """``201 ← 79161234567 (answered)`` — one line per call in lists."""
    arrow = "←" if call.direction == "in" else "→"
    who = flat(", ".join(call.extensions) or call.callee)
    other = flat(call.caller_number if call.direction == "in" else call.callee)
    return f"{who} {arrow} {other} ({ctx.text('calls.' + call.phase)})"
