"""The command side of the core: every chat command and button press goes through here.

Strategy: ensure the chat, compute the effective role, ask :func:`bot.commands.policy.decide` once, run
the handler, turn typed errors into ru/en replies, and audit every attempt with its result.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from bot.alerts import FollowUps
from bot.commands import admin as cmd_admin
from bot.commands import calls as cmd_calls
from bot.commands import chat as cmd_chat
from bot.commands import followup as cmd_followup
from bot.commands import history as cmd_history
from bot.commands import pbx as cmd_pbx
from bot.commands import report as cmd_report
from bot.commands.base import Ctx, Deps, Handler
from bot.commands.dialpolicy import DialRateLimiter
from bot.commands.pairing import from_deep_link
from bot.commands.policy import decide, effective_role
from bot.commands.senders import StrangerThrottle, refusal
from bot.config import Settings
from bot.domain import ActionReply, AuditEntry, ChatAction, ChatCommand, ChatRef, ChatSettings, OutMessage
from bot.errors import (
    BotError,
    InvalidArgument,
    PbxCommandError,
    PbxNotSupported,
    PbxTimeout,
    PbxUnavailable,
    StorageError,
)
from bot.i18n import register, t
from bot.ports import CallHistory, CallsView, PbxApi, PresenceView, Store
from bot.reports import Reporter
from bot.text import flat

logger = logging.getLogger(__name__)

REFUSAL_KEYS = frozenset({"dial.international", "dial.premium", "dial.rate", "dial.short"})
SECRET_ARGS = frozenset({"pair"})  # never written to the audit log
AUDIT_ARGS_MAX = 200
TOAST_MAX = 190

register(
    {
        "policy.unknown": ("Unknown command. /help lists what you can do here.",
                           "Неизвестная команда. /help — что вам доступно здесь."),
        "policy.private_only": ("Send this command to the bot in a private chat.",
                                "Отправьте эту команду боту в личном чате."),
        "policy.need_role": ("Not allowed: this needs the {role} role. Ask an admin.",
                             "Нет прав: нужна роль {role}. Обратитесь к администратору."),
        "policy.not_bound": ("Not allowed here: this chat is not bound to an extension.",
                             "Здесь нельзя: чат не привязан к внутреннему номеру."),
        "pbx.refused": ("PBX refused: {code}", "АТС отказала: {code}"),
        "pbx.timeout": ("PBX did not answer in time.", "АТС не ответила вовремя."),
        "pbx.not_supported": ("Not available on this PBX's API ({api}).",
                              "Недоступно в API этой АТС ({api})."),
        "pbx.unavailable": ("PBX link is down, try again later.", "Нет связи с АТС, попробуйте позже."),
        "storage.busy": ("The bot's database is busy; try again in a moment.",
                         "База данных бота занята; повторите через минуту."),
        "internal.error": ("Something went wrong; the error was logged.",
                           "Что-то пошло не так; ошибка записана в журнал."),
        "confirm.unknown": ("This confirmation has expired or was already used.",
                            "Подтверждение истекло или уже использовано."),
        "confirm.not_yours": ("Only the person who asked can confirm this.",
                              "Подтвердить может только тот, кто запросил."),
        "confirm.confirmed": ("Confirmed.", "Подтверждено."),
        "confirm.cancelled": ("Cancelled.", "Отменено."),
        "button.unknown": ("This button is not valid any more.", "Эта кнопка больше не действует."),
    }
)


def permission_key(cmd: ChatCommand, bound: list[str]) -> str:
    """The policy key of a typed command: some arguments need more than the bare command."""
    name = cmd.name
    if name == "settings" and cmd.args:
        return "settings:set"
    if name == "call":
        _, from_ext = cmd_calls.split_from(cmd.args)
        if from_ext is not None and from_ext.strip() not in bound:
            return "call:from"
    return name


def _toast(messages: list[OutMessage]) -> str:
    text = messages[0].text.split("\n", 1)[0] if messages else ""
    return text if len(text) <= TOAST_MAX else text[: TOAST_MAX - 1] + "…"


class CommandService:
    """Implements :class:`bot.ports.ChatCore` for every chat adapter."""

    def __init__(
        self,
        *,
        store: Store,
        pbx: PbxApi,
        calls: CallsView,
        presence: PresenceView,
        settings: Settings,
        clock: Callable[[], float] = time.time,
        history: CallHistory | None = None,
        followups: FollowUps | None = None,
        reporter: Reporter | None = None,
    ) -> None:
        self._deps = Deps(store, pbx, calls, presence, settings, clock,
                          limiter=DialRateLimiter(settings.bot_dial_per_minute), history=history,
                          followups=followups, reporter=reporter)
        self._throttle = StrangerThrottle()
        self._handlers: dict[str, Handler] = {
            **cmd_chat.HANDLERS, **cmd_calls.HANDLERS, **cmd_pbx.HANDLERS, **cmd_admin.HANDLERS,
            **cmd_history.HANDLERS, **cmd_followup.HANDLERS, **cmd_report.HANDLERS,
        }

    async def handle_command(self, cmd: ChatCommand) -> list[OutMessage]:
        """Authorize, run and audit one command; never raises."""
        try:
            chat = await self._chat(cmd.chat, cmd.chat_title)
            await self._deps.store.remember_person(cmd.user)
            for person in cmd.mentions:  # resolved by the platform: ids and names it vouches for
                await self._deps.store.remember_person(person)
            cmd = from_deep_link(dataclasses.replace(cmd, name=cmd.name.strip().lstrip("/").lower()))
            return await self._run(cmd, chat, confirmed=False, typed=True)
        except StorageError as exc:
            logger.warning("command %s in %s not run: %s", cmd.name, cmd.chat, exc)
            return [OutMessage.plain(t(self._deps.settings.bot_language, "storage.busy"))]
        except Exception:
            logger.exception("command %s in %s failed before it ran", cmd.name, cmd.chat)
            return [OutMessage.plain(t(self._deps.settings.bot_language, "internal.error"))]

    async def handle_action(self, action: ChatAction) -> ActionReply:
        """A button press: "call"/"hangup" run like their commands, "confirm"/"cancel" take a
        parked destructive command. Never raises."""
        try:
            chat = await self._deps.store.get_chat(action.chat) or await self._chat(action.chat, "")
            await self._deps.store.remember_person(action.user)
            return await self._action(action, chat)
        except Exception:
            logger.exception("button %s in %s failed", action.action, action.chat)
            return ActionReply(toast=t(self._deps.settings.bot_language, "internal.error"))

    async def handle_migration(self, old: ChatRef, new: ChatRef) -> None:
        await self._deps.store.migrate_chat(old, new)

    async def language(self, chat: ChatRef) -> str:
        """The chat's language (BOT_LANGUAGE for a chat not seen yet, or a busy database)."""
        try:
            found = await self._deps.store.get_chat(chat)
        except BotError:
            found = None
        return found.language if found is not None else self._deps.settings.bot_language

    def menu(self, language: str) -> list[tuple[str, str]]:
        caps = self._deps.pbx.capabilities
        return [(name, t(language, "menu." + name)) for name in cmd_chat.COMMANDS
                if cmd_chat.offered(name, caps)]

    # --- internals -----------------------------------------------------------------------------

    async def _chat(self, chat: ChatRef, title: str) -> ChatSettings:
        s = self._deps.settings
        return await self._deps.store.ensure_chat(chat, title=title, language=s.bot_language,
                                                  timezone=s.bot_timezone)

    async def _action(self, action: ChatAction, chat: ChatSettings) -> ActionReply:
        lang = chat.language
        if action.action in ("call", "hangup", "done"):
            call = action.action == "call"
            words = cmd_calls.button_args(action.arg) if call else tuple(action.arg.split())
            cmd = ChatCommand(action.chat, action.user, action.action, words, " ".join(words))
            out = await self._run(cmd, chat, confirmed=False)
            return ActionReply(toast=_toast(out), messages=tuple(out))
        if action.action not in ("confirm", "cancel"):
            return ActionReply(toast=t(lang, "button.unknown"))
        probe = ChatCommand(action.chat, action.user, action.action)
        taken = self._deps.confirmations.take(action.arg, probe, self._deps.clock())
        if isinstance(taken, str):
            return ActionReply(toast=t(lang, taken))
        if action.action == "cancel":
            done = t(lang, "confirm.cancelled")
            await self._audit(Ctx(self._deps, taken, chat, None, []), True, "cancelled")
            return ActionReply(toast=done, edit=OutMessage.plain(done))
        out = await self._run(taken, chat, confirmed=True)
        return ActionReply(toast=_toast(out), messages=tuple(out),
                           edit=OutMessage.plain(t(lang, "confirm.confirmed")))

    async def _gate(self, ctx: Ctx) -> list[OutMessage] | None:
        """Who typed it and how often (see :mod:`bot.commands.senders`); None: on to the policy.
        Silenced commands ([]) are neither answered nor audited, so a flood fills neither."""
        cmd, now = ctx.cmd, self._deps.clock()
        if ctx.role is None and not self._throttle.stranger_may(cmd.user, now):
            logger.debug("silenced /%s from %s (no role, over the per-minute limit)", cmd.name[:32], cmd.user)
            return []
        why = refusal(cmd)
        if why is not None:
            await self._audit(ctx, False, "denied: " + why.removeprefix("senders."))
            return [ctx.say(why)]
        if cmd.name not in self._handlers and not cmd.is_private:
            if not self._throttle.unknown_reply_may(cmd.user, now):
                logger.debug("silenced unknown /%s from %s in %s", cmd.name[:32], cmd.user, cmd.chat)
                return []
        return None

    async def _run(
        self, cmd: ChatCommand, chat: ChatSettings, *, confirmed: bool, typed: bool = False
    ) -> list[OutMessage]:
        deps = self._deps
        bound = await deps.store.extensions_of(cmd.chat)
        grants = await deps.store.roles_of(cmd.user.platform, cmd.user.user_id)
        role = effective_role(cmd.user.platform, cmd.user.user_id, cmd.chat.chat_id,
                              config_admins=deps.settings.admins, grants=grants)
        ctx = Ctx(deps, cmd, chat, role, bound, confirmed=confirmed)
        gated = await self._gate(ctx) if typed else None
        if gated is not None:
            return gated
        key = permission_key(cmd, bound) if cmd.name in self._handlers else "?"
        decision = decide(key, role, chat_bound=bool(bound), is_private=cmd.is_private)
        if key == "pair" and decision.reason == "policy.private_only":
            out = await cmd_admin.pair_in_public(ctx)
            await self._audit(ctx, False, ctx.result)
            return out
        if not decision.allowed:
            needed = decision.needed.name.lower() if decision.needed else ""
            await self._audit(ctx, False, "denied: " + decision.reason.removeprefix("policy."))
            return [ctx.say(decision.reason, role=needed)]
        if not cmd_chat.offered(cmd.name, deps.pbx.capabilities):
            await self._audit(ctx, False, "unavailable on API " + deps.pbx.api_name)
            return [ctx.say("pbx.not_supported", api=deps.pbx.api_name)]
        out = await self._execute(ctx, self._handlers[cmd.name])
        await self._audit(ctx, True, ctx.result)
        return out

    async def _execute(self, ctx: Ctx, handler: Handler) -> list[OutMessage]:
        try:
            return await handler(ctx)
        except InvalidArgument as exc:
            kind = "refused" if exc.key in REFUSAL_KEYS else "invalid"
            ctx.result = f"{kind}: {exc.key}"
            return [ctx.say(exc.key, **exc.params)]
        except PbxCommandError as exc:
            ctx.result = exc.code[:64]
            return [ctx.say("pbx.refused", code=exc.code[:64])]
        except PbxNotSupported as exc:
            ctx.result = "unavailable on API " + exc.api
            return [ctx.say("pbx.not_supported", api=exc.api)]
        except PbxTimeout:
            ctx.result = "timeout"
            return [ctx.say("pbx.timeout")]
        except PbxUnavailable:
            ctx.result = "unavailable"
            return [ctx.say("pbx.unavailable")]
        except StorageError as exc:
            ctx.result = "storage busy"
            logger.warning("command %s: %s", ctx.cmd.name, exc)
            return [ctx.say("storage.busy")]
        except Exception as exc:
            ctx.result = "error: " + type(exc).__name__
            level = logging.ERROR if isinstance(exc, BotError) else logging.CRITICAL
            logger.log(level, "command %s failed: %s", ctx.cmd.name, type(exc).__name__, exc_info=True)
            return [ctx.say("internal.error")]

    async def _audit(self, ctx: Ctx, allowed: bool, result: str) -> None:
        cmd = ctx.cmd
        shown = "***" if cmd.name in SECRET_ARGS else flat(cmd.text or " ".join(cmd.args), AUDIT_ARGS_MAX)
        entry = AuditEntry(
            at=self._deps.clock(), platform=cmd.chat.platform, chat_id=cmd.chat.chat_id,
            user_id=flat(cmd.user.user_id), user_display=flat(cmd.user.display or cmd.user.username),
            command=flat(cmd.name, 40), args=shown, allowed=allowed, result=result,
        )
        try:
            await self._deps.store.audit(entry)
        except BotError as exc:
            logger.error("audit of %s failed: %s", cmd.name, type(exc).__name__)
