"""PBX housekeeping: /who, /trunks, /reboot, /reloadgw, /sipmsg, /flushreg, /broadcast.

Strategy: listings merge the PBX's answer with what the bot has seen (presence); destructive
commands (reboot, flushreg) validate first and then park for confirmation.
"""

from __future__ import annotations

from bot.commands import args
from bot.commands.base import Ctx, Handler, ask_confirm, known_extension, scope_exts
from bot.domain import ExtensionState, OutMessage, SipUser, Span
from bot.errors import InvalidArgument, Refused
from bot.i18n import register
from bot.ports import PresenceView
from bot.text import flat

register(
    {
        "who.title": ("Extensions:", "Внутренние номера:"),
        "who.none": ("No extensions known yet.", "Внутренние номера пока неизвестны."),
        "who.online": ("online", "в сети"),
        "who.offline": ("offline", "не в сети"),
        "who.blf.ringing": ("ringing", "звонит"),
        "who.blf.answered": ("on a call", "разговаривает"),
        "who.blf.hangup": ("idle", "свободен"),
        "who.blf.unregistered": ("unregistered", "не зарегистрирован"),
        "trunks.title": ("Trunks:", "Транки:"),
        "trunks.none": ("No trunks.", "Транков нет."),
        "reboot.usage": ("/reboot EXT [yealink|cisco]", "/reboot ДОБ [yealink|cisco]"),
        "reboot.ask": ("Reboot the phone of {ext} ({model})?", "Перезагрузить телефон {ext} ({model})?"),
        "reboot.done": ("Reboot sent to {ext}.", "Команда перезагрузки отправлена на {ext}."),
        "reloadgw.usage": ("/reloadgw TRUNK", "/reloadgw ТРАНК"),
        "reloadgw.bad": ("“{value}” is not a trunk number.", "«{value}» — не номер транка."),
        "reloadgw.done": ("Trunk {num} re-registers.", "Транк {num} перерегистрируется."),
        "sipmsg.usage": ("/sipmsg EXT TEXT", "/sipmsg ДОБ ТЕКСТ"),
        "sipmsg.done": ("Message sent to {ext}.", "Сообщение отправлено на {ext}."),
        "sipmsg.not_yours": ("Only this chat's phones ({exts}) may get a screen message from you; "
                             "another phone needs an admin.",
                             "Отсюда можно писать только на телефоны этого чата ({exts}); "
                             "на другой телефон — только админ."),
        "flushreg.usage": ("/flushreg EXT", "/flushreg ДОБ"),
        "flushreg.ask": ("Drop the SIP registration of {ext}?", "Сбросить SIP-регистрацию {ext}?"),
        "flushreg.done": ("Registration of {ext} dropped.", "Регистрация {ext} сброшена."),
        "broadcast.usage": ("/broadcast TEXT", "/broadcast ТЕКСТ"),
        "broadcast.done": ("Broadcast sent.", "Рассылка отправлена."),
    }
)

MODELS = ("yealink", "cisco")
BLF_STATES = frozenset({"ringing", "answered", "hangup", "unregistered"})


def blf_text(ctx: Ctx, blf: str) -> str:
    """A lamp state in the chat's language; values the PBX may add later are shown raw."""
    return ctx.text(f"who.blf.{blf}") if blf in BLF_STATES else blf


def _states(users: list[SipUser], presence: PresenceView) -> list[ExtensionState]:
    seen = dict(presence.extension_states())
    for user in users:
        old = seen.get(user.uid)
        seen[user.uid] = ExtensionState(
            ext=user.uid,
            online=True,
            agent=user.agent or (old.agent if old else ""),
            ip=user.ip or (old.ip if old else ""),
            blf=old.blf if old else "",
            name=user.name or (old.name if old else ""),
        )
    return sorted(seen.values(), key=lambda s: (len(s.ext), s.ext))


async def who(ctx: Ctx) -> list[OutMessage]:
    states = _states(await ctx.deps.pbx.user_list(), ctx.deps.presence)
    if not states:
        return [ctx.say("who.none")]
    spans: list[Span] = [Span(ctx.text("who.title"))]
    for s in states:
        status = ctx.text("who.online" if s.online else "who.offline")
        extra = " · ".join(flat(x) for x in (s.name, blf_text(ctx, s.blf), s.agent, s.ip) if x)
        tail = f" {status}" + (f" · {extra}" if extra else "")
        spans += [Span("\n"), Span(flat(s.ext), "code"), Span(tail)]
    return [OutMessage(tuple(spans))]


async def trunks(ctx: Ctx) -> list[OutMessage]:
    found = await ctx.deps.pbx.trunk_list()
    if not found:
        return [ctx.say("trunks.none")]
    spans: list[Span] = [Span(ctx.text("trunks.title"))]
    for tr in found:
        extra = " · ".join(flat(x) for x in (tr.status, tr.desc, tr.dest) if x)
        spans += [Span("\n"), Span(flat(tr.extension), "code"), Span(f" {extra}" if extra else "")]
    return [OutMessage(tuple(spans))]


async def reboot(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 1, ctx.text("reboot.usage"), at_most=2)
    model = args.choice(ctx.args[1], MODELS) if len(ctx.args) > 1 else "yealink"
    ext = args.extension(ctx.args[0])
    if not ctx.confirmed:
        ext = await known_extension(ctx, ext)
        return ask_confirm(ctx, ctx.text("reboot.ask", ext=ext, model=model))
    await ctx.deps.pbx.reboot_phone(ext, model)
    return [ctx.say("reboot.done", ext=ext)]


async def reloadgw(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 1, ctx.text("reloadgw.usage"), at_most=1)
    num = ctx.args[0].strip()
    if not (num.isascii() and num.isdigit()) or len(num) > 20:
        raise InvalidArgument("reloadgw.bad", value=args.shown(num))
    await ctx.deps.pbx.reloadgw(num)
    return [ctx.say("reloadgw.done", num=num)]


async def sipmsg(ctx: Ctx) -> list[OutMessage]:
    usage = ctx.text("sipmsg.usage")
    args.need(ctx.args, 2, usage)
    ext = args.extension(ctx.args[0])
    if scope_exts(ctx) is not None and ext not in ctx.bound:  # a screen message is a phishing channel
        raise Refused("sipmsg.not_yours", exts=", ".join(ctx.bound) or "-")
    ext = await known_extension(ctx, ext)
    text = args.bounded_text(args.rest_after_first(ctx.cmd.text, ctx.args), args.SIP_TEXT_MAX, usage)
    await ctx.deps.pbx.sip_message(ext, text)
    return [ctx.say("sipmsg.done", ext=ext)]


async def flushreg(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 1, ctx.text("flushreg.usage"), at_most=1)
    ext = args.extension(ctx.args[0])
    if not ctx.confirmed:
        ext = await known_extension(ctx, ext)
        return ask_confirm(ctx, ctx.text("flushreg.ask", ext=ext))
    await ctx.deps.pbx.flush_reg(ext)
    return [ctx.say("flushreg.done", ext=ext)]


async def broadcast(ctx: Ctx) -> list[OutMessage]:
    usage = ctx.text("broadcast.usage")
    text = args.bounded_text(ctx.cmd.text or " ".join(ctx.args), args.BROADCAST_MAX, usage)
    await ctx.deps.pbx.message(text, target="domain")
    return [ctx.say("broadcast.done")]


HANDLERS: dict[str, Handler] = {
    "who": who,
    "trunks": trunks,
    "reboot": reboot,
    "reloadgw": reloadgw,
    "sipmsg": sipmsg,
    "flushreg": flushreg,
    "broadcast": broadcast,
}
