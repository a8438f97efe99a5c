"""Call control: /call, /hangup, /calls, /transfer, /bridge, /listen.

Strategy: dial from the chat's bound extension (or ``from EXT``), resolve "the active call"
from the calls view, and only then send one PBX command; several candidates -> ask which.
"""

from __future__ import annotations

from bot.commands import args
from bot.commands.base import (
    Ctx,
    Handler,
    allowed_target,
    call_line,
    calls_of,
    dial_target,
    find_call,
    known_extension,
    scope_exts,
)
from bot.domain import ActiveCall, Button, OutMessage, Span
from bot.errors import InvalidArgument, Refused
from bot.i18n import register

register(
    {
        "calls.ringing": ("ringing", "звонит"),
        "calls.answered": ("talking", "разговор"),
        "calls.on_hold": ("on hold", "на удержании"),
        "calls.none": ("No active calls.", "Активных звонков нет."),
        "calls.title": ("Active calls:", "Активные звонки:"),
        "calls.hangup_button": ("Hang up", "Положить трубку"),
        "calls.pick": ("Several calls are active; choose one:", "Активных звонков несколько, выберите:"),
        "calls.not_found": ("No such active call of this chat's extensions.",
                            "Нет такого активного звонка у номеров этого чата."),
        "calls.no_ext_call": ("Extension {ext} has no active call.", "У номера {ext} нет активного звонка."),
        "call.usage": ("/call NUMBER [from EXT]", "/call НОМЕР [from ДОБ]"),
        "call.no_binding": ("This chat is not bound to an extension: /call NUMBER from EXT.",
                            "К чату не привязан внутренний номер: /call НОМЕР from ДОБ."),
        "call.which": ("This chat has several extensions. Which one should ring first?",
                       "У чата несколько внутренних номеров. С какого звонить?"),
        "call.started": ("Calling {to} from {ext}: pick up the phone {ext}.",
                         "Звоню на {to} с {ext}: возьмите трубку на {ext}."),
        "hangup.done": ("Hung up: {line}", "Звонок завершён: {line}"),
        "transfer.usage": ("/transfer NUMBER [UUID]", "/transfer НОМЕР [UUID]"),
        "transfer.done": ("Transferred to {to}.", "Переведено на {to}."),
        "bridge.usage": ("/bridge UUID UUID", "/bridge UUID UUID"),
        "bridge.done": ("Calls connected.", "Звонки соединены."),
        "listen.usage": ("/listen EXT|UUID", "/listen ДОБ|UUID"),
        "listen.done": ("Listening from {ext}: pick up the phone {ext}.",
                        "Прослушивание с {ext}: возьмите трубку на {ext}."),
        "listen.not_yours": ("Extension {ext} has no active call with this chat's extensions; "
                             "listening to other calls needs an admin.",
                             "У номера {ext} нет звонка с номерами этого чата; "
                             "прослушивать чужие звонки может только админ."),
    }
)


def split_from(raw_args: tuple[str, ...]) -> tuple[str, str | None]:
    """``("+7", "916", "from", "201")`` -> ("+7 916", "201")."""
    if len(raw_args) >= 3 and raw_args[-2].lower() in ("from", "с", "от"):
        return " ".join(raw_args[:-2]), raw_args[-1]
    return " ".join(raw_args), None


def button_arg(number: str, ext: str) -> str:
    """A "call NUMBER from EXT" button's value, ``+79161234567@202``: no space, so both platforms'
    button encoders accept it (Telegram callback data, Slack button ``value``)."""
    return f"{number}@{ext}"


def button_args(arg: str) -> tuple[str, ...]:
    """The command arguments a call button stands for: ``+7916@202`` -> ("+7916", "from", "202")."""
    number, sep, ext = arg.partition("@")
    return (number, "from", ext) if sep else tuple(arg.split())


async def call(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 1, ctx.text("call.usage"))
    number, from_raw = split_from(ctx.args)
    if from_raw is None and len(ctx.bound) > 1:
        target = await allowed_target(ctx, number)  # a bad or forbidden number is refused before asking
        dial = target.digits if target.is_extension else "+" + target.digits
        rows = tuple((Button(ext, "call", button_arg(dial, ext)),) for ext in ctx.bound)
        return [OutMessage((Span(ctx.text("call.which")),), rows)]
    if from_raw is None and not ctx.bound:
        raise InvalidArgument("call.no_binding")
    ext = await known_extension(ctx, from_raw) if from_raw is not None else ctx.bound[0]
    target = await dial_target(ctx, number)
    await ctx.deps.pbx.make_call(from_=ext, to=target.digits)
    return [ctx.say("call.started", to=target.digits, ext=ext)]


def _line(ctx: Ctx, call: ActiveCall) -> str:
    """:func:`call_line` plus the hold mark: ``201 ← 79161234567 (talking) ⏸ on hold``."""
    line = call_line(ctx, call)
    return f"{line} ⏸ {ctx.text('calls.on_hold')}" if call.on_hold else line


def _pick(ctx: Ctx, found: list[ActiveCall]) -> list[OutMessage]:
    rows = tuple((Button(f"{ctx.text('calls.hangup_button')}: {_line(ctx, c)}", "hangup", c.call_id),)
                 for c in found)
    return [OutMessage((Span(ctx.text("calls.pick")),), rows)]


async def hangup(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 0, "/hangup [UUID]", at_most=1)
    if ctx.args:
        uuid = args.call_uuid(ctx.args[0])
        found = find_call(ctx, uuid, scope_exts(ctx))
        if found is None and scope_exts(ctx) is not None:  # no call of this chat's: refused (✗)
            raise Refused("calls.not_found")
        await ctx.deps.pbx.hangup_call(uuid)
        return [ctx.say("hangup.done", line=call_line(ctx, found) if found else uuid)]
    mine = calls_of(ctx, ctx.bound)
    if not mine:
        return [ctx.say("calls.none")]
    if len(mine) > 1:
        return _pick(ctx, mine)
    await ctx.deps.pbx.hangup_call(mine[0].call_id)
    return [ctx.say("hangup.done", line=call_line(ctx, mine[0]))]


async def calls(ctx: Ctx) -> list[OutMessage]:
    mine = calls_of(ctx, ctx.bound or scope_exts(ctx))
    if not mine:
        return [ctx.say("calls.none")]
    label = ctx.text("calls.hangup_button")
    out = [ctx.say("calls.title")]
    for c in mine:
        out.append(OutMessage((Span(_line(ctx, c)),), ((Button(label, "hangup", c.call_id),),)))
    return out


def _transfer_leg(call: ActiveCall, exts: list[str]) -> str:
    """The leg to move: the outside party (A-leg inbound; the B-leg when our extension called)."""
    if call.direction != "in" and call.caller_number in exts and len(call.legs) > 1:
        return call.legs[1]
    return call.call_id


async def transfer(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 1, ctx.text("transfer.usage"))
    number = " ".join(ctx.args)
    if len(ctx.args) > 1 and args.UUID_RE.match(ctx.args[-1]):
        number, uuid = " ".join(ctx.args[:-1]), args.call_uuid(ctx.args[-1])
        if scope_exts(ctx) is not None and find_call(ctx, uuid, ctx.bound) is None:
            raise Refused("calls.not_found")
    else:
        mine = calls_of(ctx, ctx.bound)
        if len(mine) != 1:
            return [ctx.say("calls.none")] if not mine else _pick(ctx, mine)
        uuid = _transfer_leg(mine[0], ctx.bound)
    target = await dial_target(ctx, number)
    await ctx.deps.pbx.transfer(uuid, target.digits)
    return [ctx.say("transfer.done", to=target.digits)]


async def bridge(ctx: Ctx) -> list[OutMessage]:
    args.need(ctx.args, 2, ctx.text("bridge.usage"), at_most=2)
    first, second = args.call_uuid(ctx.args[0]), args.call_uuid(ctx.args[1])
    await ctx.deps.pbx.bridge(first, second)
    return [ctx.say("bridge.done")]


async def listen(ctx: Ctx) -> list[OutMessage]:
    """Eavesdrop from the chat's first extension. Scoped like /hangup: an operator only on calls
    that involve this chat's extensions, an admin on any; a uuid must be an active call."""
    args.need(ctx.args, 1, ctx.text("listen.usage"), at_most=1)
    if not ctx.bound:
        raise InvalidArgument("call.no_binding")
    raw, scope = ctx.args[0], scope_exts(ctx)
    if args.EXT_RE.match(raw.strip()):
        ext = args.extension(raw)
        theirs = calls_of(ctx, [ext])
        if not theirs:
            raise InvalidArgument("calls.no_ext_call", ext=ext)
        if scope is not None:
            theirs = [c for c in theirs if c in calls_of(ctx, scope)]
        if not theirs:
            raise Refused("listen.not_yours", ext=ext)
        uuid = theirs[0].call_id
    else:
        uuid = args.call_uuid(raw)
        if find_call(ctx, uuid, scope) is None:
            raise Refused("calls.not_found") if scope is not None else InvalidArgument("calls.not_found")
    await ctx.deps.pbx.eavesdrop(uuid, ctx.bound[0])
    return [ctx.say("listen.done", ext=ctx.bound[0])]


HANDLERS: dict[str, Handler] = {
    "call": call,
    "hangup": hangup,
    "calls": calls,
    "transfer": transfer,
    "bridge": bridge,
    "listen": listen,
}
