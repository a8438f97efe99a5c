"""Chat-level commands: /start, /help, /settings, /subscribe, and the command catalog.

Strategy: :data:`COMMANDS` is the one ordered list of commands with ru/en descriptions; /help
filters it through :func:`bot.commands.policy.decide` and the PBX's capabilities (:data:`NEEDS`),
so it lists exactly what the asker may run here on this PBX's API.
"""

from __future__ import annotations

import dataclasses

from bot.commands import args
from bot.commands.base import Ctx, Handler
from bot.commands.policy import decide
from bot.commands.report import report_settings
from bot.domain import ChatSettings, OutMessage, Role, Span
from bot.i18n import register
from bot.text import flat

_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "start": ("About this bot", "О боте"),
    "help": ("Commands you may use here", "Доступные здесь команды"),
    "who": ("Extensions and their state", "Внутренние номера и их состояние"),
    "calls": ("Active calls", "Активные звонки"),
    "call": ("Call a number from this chat's extension", "Позвонить с номера этого чата"),
    "hangup": ("Hang up a call", "Завершить звонок"),
    "transfer": ("Transfer a call", "Перевести звонок"),
    "bridge": ("Connect two calls", "Соединить два звонка"),
    "listen": ("Listen in on a call", "Прослушать звонок"),
    "trunks": ("Trunks and their status", "Транки и их состояние"),
    "history": ("Last calls from the call history", "Последние звонки из истории"),
    "missed": ("Unresolved missed calls", "Нерешённые пропущенные звонки"),
    "report": ("Calls report with a chart", "Отчёт по звонкам с графиком"),
    "sipmsg": ("Text a phone's screen", "Сообщение на экран телефона"),
    "bind": ("Bind this chat to an extension", "Привязать чат к номеру"),
    "unbind": ("Unbind this chat", "Отвязать чат"),
    "reboot": ("Reboot a phone", "Перезагрузить телефон"),
    "reloadgw": ("Re-register a trunk", "Перерегистрировать транк"),
    "flushreg": ("Drop a phone's registration", "Сбросить регистрацию телефона"),
    "broadcast": ("Message every PBX session", "Сообщение всем сессиям АТС"),
    "subscribe": ("Choose alerts for this chat", "Выбрать уведомления чата"),
    "settings": ("Language, time zone, quiet hours", "Язык, часовой пояс, тихие часы"),
    "grant": ("Give a user a role", "Выдать роль"),
    "revoke": ("Take a user's roles away", "Снять роли"),
    "admins": ("Who has which role", "У кого какие роли"),
    "audit": ("Recent command attempts", "Последние команды"),
    "dial": ("Allow calls abroad / premium numbers", "Разрешить звонки за границу / платные"),
    "pair": ("Become admin with a pairing code", "Стать админом по коду"),
}
COMMANDS: tuple[str, ...] = tuple(_DESCRIPTIONS)
#: chat command -> the PBX command it needs (see :data:`bot.ports.PBX_COMMANDS`); others need none
NEEDS: dict[str, str] = {
    "who": "user_list", "trunks": "trunk_list", "call": "make_call", "hangup": "hangup_call",
    "transfer": "transfer", "bridge": "bridge", "listen": "eavesdrop", "sipmsg": "sip_message",
    "reboot": "reboot_phone", "reloadgw": "reloadgw", "flushreg": "flush_reg", "broadcast": "message",
}  # fmt: skip
SUBSCRIPTIONS = {
    "missed": "alert_missed",
    "registration": "alert_registration",
    "calls": "alert_calls",
    "all": "alert_all_missed",
    "internal": "alert_internal",
}

register({f"menu.{name}": pair for name, pair in _DESCRIPTIONS.items()})
register(
    {
        "start.hello": ("onlinePBX bot: call alerts and call control from this chat.",
                        "Бот onlinePBX: уведомления о звонках и управление звонками из чата."),
        "start.role": ("Your role here: {role}.", "Ваша роль здесь: {role}."),
        "start.norole": ("You have no role here yet: ask an admin (/grant).",
                         "У вас пока нет роли здесь: попросите админа (/grant)."),
        "start.your_id": ("Your id: {id} (for BOT_ADMINS: {ref}).", "Ваш id: {id} (для BOT_ADMINS: {ref})."),
        "start.how_admin": ("To become an admin: whoever runs the bot types `onpbx-bot admin code` and you "
                            "send me /pair CODE here (or open the link `onpbx-bot setup` printed), or they "
                            "put {ref} in BOT_ADMINS and restart the bot.",
                            "Чтобы стать админом: тот, кто запустил бота, выполняет `onpbx-bot admin code`, "
                            "а вы присылаете мне сюда /pair КОД (или открываете ссылку, которую напечатал "
                            "`onpbx-bot setup`), либо он добавляет {ref} в BOT_ADMINS и перезапускает бота."),
        "help.title": ("Commands available here:", "Команды, доступные здесь:"),
        "settings.view": ("Language: {language}\nTime zone: {timezone}\nQuiet hours: {quiet}\n"
                          "Extensions: {exts}\nAlerts: {alerts}",
                          "Язык: {language}\nЧасовой пояс: {timezone}\nТихие часы: {quiet}\n"
                          "Номера: {exts}\nУведомления: {alerts}"),
        "settings.usage": ("/settings [language ru|en | timezone Area/City | quiet HH:MM-HH:MM | quiet off"
                           " | report HH:MM | report off]",
                           "/settings [language ru|en | timezone Регион/Город | "
                           "quiet ЧЧ:ММ-ЧЧ:ММ | quiet off | report ЧЧ:ММ | report off]"),
        "settings.saved": ("Saved.", "Сохранено."),
        "settings.none": ("none", "нет"),
        "subscribe.usage": ("/subscribe missed|registration|calls|all|internal on|off",
                            "/subscribe missed|registration|calls|all|internal on|off"),
    }
)


def offered(name: str, capabilities: frozenset[str]) -> bool:
    """Whether the connected PBX's API can serve chat command ``name``."""
    need = NEEDS.get(name)
    return need is None or need in capabilities


async def start(ctx: Ctx) -> list[OutMessage]:
    """Hello and your role; in a private chat also your id and how to become an admin."""
    role = ctx.text("start.role", role=ctx.role.name.lower()) if ctx.role else ctx.text("start.norole")
    lines = [ctx.text("start.hello"), role]
    if ctx.cmd.is_private:
        user = ctx.cmd.user
        ref = f"{user.platform}:{flat(user.user_id)}"
        lines.append(ctx.text("start.your_id", id=flat(user.user_id), ref=ref))
        if ctx.role is None or ctx.role < Role.ADMIN:
            lines.append(ctx.text("start.how_admin", ref=ref))
    return [OutMessage.plain("\n".join([*lines, "/help"]))]


async def help_(ctx: Ctx) -> list[OutMessage]:
    spans: list[Span] = [Span(ctx.text("help.title"))]
    caps = ctx.deps.pbx.capabilities
    for name in COMMANDS:
        allowed = decide(name, ctx.role, chat_bound=bool(ctx.bound), is_private=ctx.cmd.is_private).allowed
        if allowed and offered(name, caps):
            spans += [Span("\n"), Span(f"/{name}", "bold"), Span(f" — {ctx.text('menu.' + name)}")]
    return [OutMessage(tuple(spans))]


def _view(ctx: Ctx, chat: ChatSettings) -> OutMessage:
    none = ctx.text("settings.none")
    quiet = f"{chat.quiet_start}-{chat.quiet_end}" if chat.quiet_start and chat.quiet_end else none
    alerts = ", ".join(k for k, f in SUBSCRIPTIONS.items() if getattr(chat, f)) or none
    return ctx.say("settings.view", language=chat.language, timezone=chat.timezone, quiet=quiet,
                   exts=", ".join(ctx.bound) or none, alerts=alerts)


def _changed(ctx: Ctx) -> ChatSettings:
    usage = ctx.text("settings.usage")
    args.need(ctx.args, 2, usage, at_most=2)
    what, value = args.choice(ctx.args[0], ("language", "timezone", "quiet")), ctx.args[1]
    if what == "language":
        return dataclasses.replace(ctx.chat, language=args.choice(value, ("ru", "en")))
    if what == "timezone":
        return dataclasses.replace(ctx.chat, timezone=args.timezone(value))
    hours = args.quiet_hours(value)
    start_, end = hours if hours else (None, None)
    return dataclasses.replace(ctx.chat, quiet_start=start_, quiet_end=end)


async def settings(ctx: Ctx) -> list[OutMessage]:
    if ctx.args and ctx.args[0].strip().lower() == "report":
        return await report_settings(ctx)
    if not ctx.args:
        return [_view(ctx, ctx.chat)]
    ctx.chat = _changed(ctx)
    await ctx.deps.store.update_chat(ctx.chat)
    return [ctx.say("settings.saved"), _view(ctx, ctx.chat)]


async def subscribe(ctx: Ctx) -> list[OutMessage]:
    if ctx.args:
        args.need(ctx.args, 2, ctx.text("subscribe.usage"), at_most=2)
        field = SUBSCRIPTIONS[args.choice(ctx.args[0], tuple(SUBSCRIPTIONS))]
        values: dict[str, object] = {field: args.on_off(ctx.args[1])}
        ctx.chat = dataclasses.replace(ctx.chat, **values)  # type: ignore[arg-type]
        await ctx.deps.store.update_chat(ctx.chat)
    return [_view(ctx, ctx.chat)]


HANDLERS: dict[str, Handler] = {
    "start": start,
    "help": help_,
    "settings": settings,
    "subscribe": subscribe,
}
