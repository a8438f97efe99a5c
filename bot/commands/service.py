"""The command side of the core: every chat command and button press goes through here.

Strategy: compute the effective role, keep strangers to their quota (before any row is written),
ensure the chat, ask :func:`bot.commands.policy.decide` once, run the handler, turn typed errors
into ru/en replies, and audit every attempt with its result. A ``/pair`` code seen outside a private
chat is burnt before any of that. A refused button press is answered as a button notice only.
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
from bot.commands.outcome import audit, execute
from bot.commands.pairing import from_deep_link
from bot.commands.policy import decide, effective_role
from bot.commands.quotas import HEAVY, Quotas
from bot.commands.senders import StrangerThrottle, refusal
from bot.config import Settings
from bot.domain import (
    ActionReply,
    ChatAction,
    ChatCommand,
    ChatRef,
    ChatSettings,
    OutMessage,
    Role,
    UserRef,
)
from bot.errors import BotError, StorageError
from bot.i18n import register, t
from bot.ports import CallHistory, CallsView, PbxApi, PresenceView, Store
from bot.reports import Reporter

logger = logging.getLogger(__name__)

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
        "heavy.rate": ("That is {limit} of these a minute, the most one person may ask for; "
                       "try again in {wait} s.",
                       "Это {limit} таких запросов за минуту — больше одному человеку нельзя; "
                       "повторите через {wait} с."),
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
        self._quotas = Quotas(settings.bot_heavy_per_minute)
        self._handlers: dict[str, Handler] = {
            **cmd_chat.HANDLERS, **cmd_calls.HANDLERS, **cmd_pbx.HANDLERS, **cmd_admin.HANDLERS,
            **cmd_history.HANDLERS, **cmd_followup.HANDLERS, **cmd_report.HANDLERS,
        }

    async def handle_command(self, cmd: ChatCommand) -> list[OutMessage]:
        """Authorize, run and audit one command; never raises."""
        try:
            cmd = from_deep_link(dataclasses.replace(cmd, name=cmd.name.strip().lstrip("/").lower()))
            burnt = await cmd_admin.burn_shared_code(self._deps, cmd)  # before any other check
            if not await self._may_speak(cmd.user, cmd.chat):
                logger.debug("silenced /%s from %s (no role, over the limit)", cmd.name[:32], cmd.user)
                return []  # neither answered, nor audited, nor a chat or person row written
            chat = await self._chat(cmd.chat, cmd.chat_title)
            await self._deps.store.remember_person(cmd.user)
            for person in cmd.mentions:  # resolved by the platform: ids and names it vouches for
                await self._deps.store.remember_person(person)
            if burnt:
                return await self._burnt(cmd, chat)
            out, _ = await self._run(cmd, chat, confirmed=False, typed=True)
            return out
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
            if not await self._may_speak(action.user, action.chat):  # presses share the quota
                logger.debug("silenced a %s press from %s (no role, over the limit)", action.action[:32],
                             action.user)
                return ActionReply(toast="")
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

    async def _role(self, user: UserRef, chat: ChatRef) -> Role | None:
        grants = await self._deps.store.roles_of(user.platform, user.user_id)
        return effective_role(user.platform, user.user_id, chat.chat_id,
                              config_admins=self._deps.settings.admins, grants=grants)

    async def _may_speak(self, user: UserRef, chat: ChatRef) -> bool:
        """People with a role always; people without one a few commands and presses a minute."""
        if await self._role(user, chat) is not None:
            return True
        return self._throttle.stranger_may(user, self._deps.clock())

    async def _burnt(self, cmd: ChatCommand, chat: ChatSettings) -> list[OutMessage]:
        ctx = Ctx(self._deps, cmd, chat, await self._role(cmd.user, cmd.chat), [])
        await self._audit(ctx, False, "denied: code seen in a shared chat, burnt")
        return [ctx.say("pair.burnt")]

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
            out, allowed = await self._run(cmd, chat, confirmed=False, press=True)
            if not allowed:  # a notice on the button (toast, ephemeral), never a chat message
                return ActionReply(toast=_toast(out))
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
        out, allowed = await self._run(taken, chat, confirmed=True, press=True)
        if not allowed:
            return ActionReply(toast=_toast(out))
        return ActionReply(toast=_toast(out), messages=tuple(out),
                           edit=OutMessage.plain(t(lang, "confirm.confirmed")))

    async def _gate(self, ctx: Ctx) -> list[OutMessage] | None:
        """Who typed it and how often (see :mod:`bot.commands.senders`); None: on to the policy.
        Silenced commands ([]) are neither answered nor audited, so a flood fills neither."""
        cmd, now = ctx.cmd, self._deps.clock()
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
        self, cmd: ChatCommand, chat: ChatSettings, *, confirmed: bool, typed: bool = False,
        press: bool = False,
    ) -> tuple[list[OutMessage], bool]:
        """Decide, run and audit ``cmd``: (replies, allowed). ``press``: a button's refusals are
        audited once a minute per person and button."""
        deps = self._deps
        bound = await deps.store.extensions_of(cmd.chat)
        role = await self._role(cmd.user, cmd.chat)
        ctx = Ctx(deps, cmd, chat, role, bound, confirmed=confirmed)
        gated = await self._gate(ctx) if typed else None
        if gated is not None:
            return gated, False
        key = permission_key(cmd, bound) if cmd.name in self._handlers else "?"
        decision = decide(key, role, chat_bound=bool(bound), is_private=cmd.is_private)
        if key == "pair" and decision.reason == "policy.private_only":
            return await self._refuse(ctx, "denied: private_only", [ctx.say("policy.private_only")], press)
        if not decision.allowed:
            needed = decision.needed.name.lower() if decision.needed else ""
            why = "denied: " + decision.reason.removeprefix("policy.")
            return await self._refuse(ctx, why, [ctx.say(decision.reason, role=needed)], press)
        if not cmd_chat.offered(cmd.name, deps.pbx.capabilities):
            api = deps.pbx.api_name
            reply = ctx.say("pbx.not_supported", api=api)
            return await self._refuse(ctx, "unavailable on API " + api, [reply], press)
        wait = self._quotas.heavy_wait(cmd.user, deps.clock()) if cmd.name in HEAVY else 0.0
        if wait > 0:  # checked before the work: an answer past the quota is not worth computing
            reply = ctx.say("heavy.rate", limit=self._quotas.heavy_per_minute, wait=int(wait) + 1)
            return await self._refuse(ctx, "refused: heavy.rate", [reply], press)
        out = await self._execute(ctx, self._handlers[cmd.name])
        if not ctx.allowed:
            return await self._refuse(ctx, ctx.result, out, press)
        await self._audit(ctx, True, ctx.result)
        return out, True

    async def _refuse(
        self, ctx: Ctx, result: str, out: list[OutMessage], press: bool
    ) -> tuple[list[OutMessage], bool]:
        """Audit a refusal (✗); a refused press at most once a minute per person and button."""
        cmd = ctx.cmd
        if not press or self._quotas.audit_refusal(cmd.user, cmd.chat, cmd.name, self._deps.clock()):
            await self._audit(ctx, False, result)
        return out, False

    async def _execute(self, ctx: Ctx, handler: Handler) -> list[OutMessage]:
        return await execute(ctx, handler)

    async def _audit(self, ctx: Ctx, allowed: bool, result: str) -> None:
        await audit(ctx, allowed, result)
