"""Administration: /bind, /unbind, /grant, /revoke, /admins, /audit, /pair, /dial.

Strategy: thin handlers over the store; users are named by id, @username (someone the bot has
seen) or a Slack mention; /unbind parks for confirmation like every destructive command.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import args
from bot.commands.base import Ctx, Deps, Handler, ask_confirm, on_roster, short_allowed
from bot.commands.dialpolicy import INTERNATIONAL_KEY, PREMIUM_KEY, SHORT_ALLOW_KEY, SHORT_RE
from bot.commands.pairing import normalize_code
from bot.commands.senders import is_pseudo
from bot.domain import ChatCommand, OutMessage, Role, Span, UserRef
from bot.errors import InvalidArgument, PbxError
from bot.i18n import register
from bot.text import flat

register(
    {
        "bind.usage": ("/bind EXT", "/bind ДОБ"),
        "bind.done": ("This chat is bound to {ext}: missed calls and registration alerts are on.",
                      "Чат привязан к {ext}: уведомления о пропущенных и о регистрации включены."),
        "bind.already": ("This chat is already bound to {ext}.", "Чат уже привязан к {ext}."),
        "bind.ask_unknown": ("The PBX does not know extension {ext} (not in its user list, never seen "
                             "online): a typo? Bind it anyway (a ring group or queue number is fine)?",
                             "АТС не знает номер {ext} (его нет в списке пользователей, он не был в сети): "
                             "опечатка? Всё равно привязать (номер группы или очереди подойдёт)?"),
        "bind.ask_unchecked": ("Could not ask the PBX whether extension {ext} exists (no link). "
                               "Bind it anyway?",
                               "Не удалось спросить АТС, есть ли номер {ext} (нет связи). "
                               "Всё равно привязать?"),
        "unbind.ask_one": ("Unbind this chat from {ext}?", "Отвязать чат от {ext}?"),
        "unbind.ask_all": ("Unbind this chat from every extension ({exts})?",
                           "Отвязать чат от всех номеров ({exts})?"),
        "unbind.none": ("This chat is not bound to {ext}.", "Чат не привязан к {ext}."),
        "unbind.done": ("Unbound: {exts}.", "Отвязано: {exts}."),
        "grant.usage": ("/grant USER viewer|operator|admin", "/grant ПОЛЬЗОВАТЕЛЬ viewer|operator|admin"),
        "grant.done_here": ("{user} is now {role} in this chat.", "{user} теперь {role} в этом чате."),
        "grant.done_all": ("{user} is now admin everywhere.", "{user} теперь admin везде."),
        "revoke.usage": ("/revoke USER", "/revoke ПОЛЬЗОВАТЕЛЬ"),
        "revoke.done": ("Removed {count} grant(s) of {user}.", "Снято прав у {user}: {count}."),
        "revoke.last_admin": ("You are the last admin: grant another admin first (/grant USER admin).",
                              "Вы последний админ: сначала назначьте другого (/grant ПОЛЬЗОВАТЕЛЬ admin)."),
        "grant.org_unknown": ("I cannot tell which organisation {user} belongs to: name them with a mention "
                              "(type @ and pick them), so Slack says who they are.",
                              "Не могу понять, из какой организации {user}: укажите человека упоминанием "
                              "(наберите @ и выберите), чтобы Slack подтвердил, кто это."),
        "revoke.config": (" ({user} stays admin through BOT_ADMINS.)",
                          " ({user} остаётся админом через BOT_ADMINS.)"),
        "admins.title": ("Roles:", "Роли:"),
        "admins.config": ("(BOT_ADMINS)", "(BOT_ADMINS)"),
        "admins.everywhere": ("everywhere", "везде"),
        "audit.usage": ("/audit [N]", "/audit [N]"),
        "audit.none": ("The audit log is empty.", "Журнал пуст."),
        "pair.usage": ("/pair CODE", "/pair КОД"),
        "pair.done": ("Paired: you are an admin now.", "Готово: теперь вы администратор."),
        "pair.wrong": ("Wrong or expired code.", "Неверный или просроченный код."),
        "pair.burnt": ("That pairing code was posted outside a private chat, so it is burnt now and works "
                       "for nobody. Create a new one with onpbx-bot admin code and send it to me in a "
                       "private chat.",
                       "Этот код привязки был отправлен не в личный чат, поэтому он сгорел и больше "
                       "не действует. Создайте новый командой onpbx-bot admin code и пришлите его мне "
                       "в личный чат."),
        "pair.blocked": ("Too many wrong codes; try again later.",
                         "Слишком много неверных кодов, попробуйте позже."),
        "dial.status": ("International calls: {intl}. Premium-rate numbers: {premium}.",
                        "Звонки за границу: {intl}. Платные номера: {premium}."),
        "dial.usage": ("/dial international|premium on|off | /dial allow|deny SHORT_NUMBER",
                       "/dial international|premium on|off | /dial allow|deny КОРОТКИЙ_НОМЕР"),
        "dial.short_list": ("Short numbers allowed besides extensions: {numbers}.",
                            "Короткие номера, разрешённые кроме внутренних: {numbers}."),
        "dial.bad_short": ("“{value}” is not a short number (2–5 digits).",
                           "«{value}» — не короткий номер (2–5 цифр)."),
        "dial.on": ("allowed", "разрешены"),
        "dial.off": ("refused", "запрещены"),
    }
)


async def _known(ctx: Ctx, ext: str) -> bool | None:
    """Does the PBX know ``ext`` (None: it could not be asked)?"""
    try:
        return await on_roster(ctx, ext)
    except PbxError:
        return None


async def bind(ctx: Ctx) -> list[OutMessage]:
    """``/bind EXT``; an extension the PBX does not know (a typo?) is bound only once confirmed."""
    args.need(ctx.args, 1, ctx.text("bind.usage"), at_most=1)
    ext = args.extension(ctx.args[0])
    if ext not in ctx.bound and not ctx.confirmed:
        known = await _known(ctx, ext)
        if not known:
            key = "bind.ask_unknown" if known is False else "bind.ask_unchecked"
            return ask_confirm(ctx, ctx.text(key, ext=ext))
    if not await ctx.deps.store.bind(ctx.cmd.chat, ext):
        return [ctx.say("bind.already", ext=ext)]
    return [ctx.say("bind.done", ext=ext)]


async def unbind(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 0, "/unbind [EXT]", at_most=1)
    ext = args.extension(ctx.args[0]) if ctx.args else None
    if ext is not None and ext not in ctx.bound:
        raise InvalidArgument("unbind.none", ext=ext)
    if not ctx.bound:
        raise InvalidArgument("call.no_binding")
    if not ctx.confirmed:
        if ext:
            return ask_confirm(ctx, ctx.text("unbind.ask_one", ext=ext))
        return ask_confirm(ctx, ctx.text("unbind.ask_all", exts=", ".join(ctx.bound)))
    removed = await ctx.deps.store.unbind(ctx.cmd.chat, ext)
    return [ctx.say("unbind.done", exts=", ".join(removed) or "-")]


def _mentioned(ctx: Ctx, user_id: str) -> UserRef | None:
    """The person the platform resolved for ``user_id`` (a mention, or an id it looked up)."""
    return next((p for p in ctx.cmd.mentions if p.user_id == user_id), None)


async def _by_handle(ctx: Ctx, handle: str) -> tuple[str, str, str] | None:
    """The one person seen with ``handle``; None if nobody; refused when several were."""
    people = await ctx.deps.store.find_people(ctx.cmd.chat.platform, handle)
    ids = {p.user_id for p in people}
    if len(ids) > 1:
        raise InvalidArgument("args.ambiguous_user", value=args.shown(handle), count=len(ids))
    return (people[0].user_id, "@" + flat(people[0].username or handle), people[0].org) if people else None


async def _resolve_user(ctx: Ctx, raw: str) -> tuple[str, str, str]:
    """(user_id, how to show them, their organisation if known): an id or a mention as is, a
    handle only when it is one person. The organisation is the platform's word (a mention or an id
    it looked up) or, for a plain name, what the bot stored when it last saw that person."""
    kind, value = args.user_handle(raw)
    store, platform = ctx.deps.store, ctx.cmd.chat.platform
    if kind == "id":
        told = _mentioned(ctx, value)
        shown = flat(told.display or told.username) if told is not None else ""
        person = await store.find_person(platform, value)
        if person is not None and person.user_id == value:
            org = told.org if told is not None and told.org else person.org
            return value, shown or flat(person.display or person.username or value), org
        found = None if told is not None or raw.strip().startswith("<@") else await _by_handle(ctx, value)
        return found or (value, shown or value, told.org if told is not None else "")
    found = await _by_handle(ctx, value)
    if found is None:
        raise InvalidArgument("args.unknown_user", value=args.shown(value))
    return found


def _same_org(ctx: Ctx, org: str, shown: str) -> None:
    """Where people have organisations (Slack workspaces and Enterprise Grid orgs), a role goes only
    to someone of the granter's own: another's is refused, and so is one the bot cannot place."""
    ours = ctx.cmd.user.org or ctx.cmd.org
    if not ours:
        return
    if not org:
        raise InvalidArgument("grant.org_unknown", user=shown)
    if org != ours:
        raise InvalidArgument("args.foreign_user", value=flat(shown, args.SHOWN_MAX))


async def grant(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 2, ctx.text("grant.usage"), at_most=2)
    role = args.role(ctx.args[1])
    user_id, shown, org = await _resolve_user(ctx, ctx.args[0])
    if is_pseudo(ctx.cmd.chat.platform, user_id):
        raise InvalidArgument("senders.not_personal", user=shown)
    _same_org(ctx, org, shown)
    scope = "*" if role == Role.ADMIN else ctx.cmd.chat.chat_id
    await ctx.deps.store.grant(ctx.cmd.chat.platform, user_id, role, scope)
    if scope == "*":
        return [ctx.say("grant.done_all", user=shown)]
    return [ctx.say("grant.done_here", user=shown, role=role.name.lower())]


async def revoke(ctx: Ctx) -> list[OutMessage]:
    """Without BOT_ADMINS the last admin cannot be revoked: the check and the change are one
    transaction (two admins revoking each other at once leave one, never none)."""
    args.need(ctx.args, 1, ctx.text("revoke.usage"), at_most=1)
    user_id, shown, _ = await _resolve_user(ctx, ctx.args[0])
    store, platform = ctx.deps.store, ctx.cmd.chat.platform
    if ctx.deps.settings.admins:
        count = await store.revoke(platform, user_id, None)
    else:
        kept = await store.revoke_keeping_an_admin(platform, user_id)
        if kept is None:
            raise InvalidArgument("revoke.last_admin")
        count = kept
    text = ctx.text("revoke.done", count=count, user=shown)
    if (ctx.cmd.chat.platform, user_id) in ctx.deps.settings.admins:
        text += ctx.text("revoke.config", user=shown)
    return [OutMessage.plain(text)]


async def admins(ctx: Ctx) -> list[OutMessage]:
    lines = [ctx.text("admins.title")]
    for platform, user_id in sorted(ctx.deps.settings.admins):
        lines.append(f"{platform}:{user_id} admin {ctx.text('admins.config')}")
    for g in await ctx.deps.store.list_grants():
        scope = ctx.text("admins.everywhere") if g.scope == "*" else g.scope
        name = f" ({flat(g.display)})" if g.display else ""
        lines.append(f"{g.platform}:{g.user_id}{name} {g.role.name.lower()} · {scope}")
    return [OutMessage.plain("\n".join(lines))]


async def audit(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 0, ctx.text("audit.usage"), at_most=1)
    raw = ctx.args[0] if ctx.args else "10"
    if not raw.isdigit():
        raise InvalidArgument("args.missing", usage=ctx.text("audit.usage"))
    entries = await ctx.deps.store.recent_audit(max(1, min(int(raw), 50)))
    if not entries:
        return [ctx.say("audit.none")]
    spans: list[Span] = []
    zone = ZoneInfo(ctx.chat.timezone)  # every time a chat sees is in its time zone
    for e in entries:
        stamp = datetime.fromtimestamp(e.at, zone).strftime("%m-%d %H:%M")
        mark = "✓" if e.allowed else "✗"
        who = flat(e.user_display or e.user_id)
        line = f"{stamp} {mark} {who} /{flat(e.command)} {flat(e.args, 200)} → {flat(e.result)}"
        spans.append(Span(line + "\n"))
    return [OutMessage(tuple(spans))]


async def pair(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 1, ctx.text("pair.usage"), at_most=2)
    now = ctx.deps.clock()
    throttle = ctx.deps.pairing
    if throttle.blocked(ctx.user_key, now):
        ctx.result = "refused: throttled"
        return [ctx.say("pair.blocked")]
    if not await ctx.deps.store.redeem_pairing_code(normalize_code("".join(ctx.args)), now):
        throttle.failed(ctx.user_key, now)
        ctx.result = "invalid: wrong code"
        return [ctx.say("pair.wrong")]
    await ctx.deps.store.grant(ctx.cmd.chat.platform, ctx.cmd.user.user_id, Role.ADMIN, "*")
    return [ctx.say("pair.done")]


async def _allow_short(ctx: Ctx, what: str, raw: str) -> None:
    """``/dial allow 112`` adds a short number to the allow-list, ``/dial deny 112`` removes it."""
    number = raw.strip()
    if not SHORT_RE.match(number):
        raise InvalidArgument("dial.bad_short", value=args.shown(raw))
    allowed = set(await short_allowed(ctx.deps.store))
    allowed = allowed | {number} if what == "allow" else allowed - {number}
    await ctx.deps.store.set_setting(SHORT_ALLOW_KEY, ",".join(sorted(allowed)))


async def burn_shared_code(deps: Deps, cmd: ChatCommand) -> bool:
    """``/pair CODE`` seen outside a private chat (or forwarded from one): everyone there has
    seen the code, so it is redeemed for nobody, before any other check (an anonymous sender, a
    forward, a stranger over the limit). True when a valid code was burnt."""
    code = normalize_code("".join(cmd.args))
    if cmd.name != "pair" or not code or (cmd.is_private and not cmd.forwarded):
        return False
    return await deps.store.redeem_pairing_code(code, deps.clock())


async def dial(ctx: Ctx) -> list[OutMessage]:
    store = ctx.deps.store
    if ctx.args:
        args.need(ctx.args, 2, ctx.text("dial.usage"), at_most=2)
        what = args.choice(ctx.args[0], ("international", "premium", "allow", "deny"))
        if what in ("allow", "deny"):
            await _allow_short(ctx, what, ctx.args[1])
        else:
            enabled = args.on_off(ctx.args[1])
            await store.set_setting(INTERNATIONAL_KEY if what == "international" else PREMIUM_KEY,
                                    "on" if enabled else "off")
    intl = await store.get_setting(INTERNATIONAL_KEY) == "on"
    premium = await store.get_setting(PREMIUM_KEY) == "on"
    status = ctx.text("dial.status", intl=ctx.text("dial.on" if intl else "dial.off"),
                      premium=ctx.text("dial.on" if premium else "dial.off"))
    shorts = ", ".join(await short_allowed(store)) or ctx.text("settings.none")
    return [OutMessage.plain(status + "\n" + ctx.text("dial.short_list", numbers=shorts))]


HANDLERS: dict[str, Handler] = {
    "bind": bind,
    "unbind": unbind,
    "grant": grant,
    "revoke": revoke,
    "admins": admins,
    "audit": audit,
    "pair": pair,
    "dial": dial,
}
