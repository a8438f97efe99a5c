"""Bolt listeners: ack first, then hand the translated input to the core and post its answer.

Slash-command and button replies go back through ``response_url`` (Bolt's ``respond``: works in
any channel or DM, even where the bot is no member); mentions have no ``response_url`` and are
answered with ``chat.postMessage`` through :class:`SlackSender`. A reply with a picture (the
report's chart) cannot travel through ``response_url``: it goes as a file upload to the channel,
like a mention's, and only if that fails its text goes back through ``response_url``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from adapters.slack import blocks, inbound
from adapters.slack.people import UserNames
from bot.domain import ActionReply, ChatCommand, ChatRef, OutMessage, Span, UserRef
from bot.errors import DeliveryError
from bot.i18n import register, t
from bot.ports import ChatCore, ChatSender

logger = logging.getLogger(__name__)

register(
    {"slack.failed": ("Something went wrong, please try again.", "Что-то пошло не так, попробуйте ещё раз.")}
)

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]
RESPONSE_URL_USES = 5  # Slack accepts at most five posts to one response_url
ACTION_ID_RE = re.compile(r"^pbx_")


def merge_tail(messages: Sequence[OutMessage], limit: int = RESPONSE_URL_USES) -> list[OutMessage]:
    """At most ``limit`` messages: the ones past the limit are folded into the last one."""
    head, tail = list(messages[: limit - 1]), list(messages[limit - 1 :])
    if len(tail) <= 1:
        return head + tail
    spans: tuple[Span, ...] = ()
    for msg in tail:
        spans += ((Span("\n\n"),) if spans else ()) + msg.spans
    return [*head, OutMessage(spans, tuple(row for m in tail for row in m.buttons))]


async def _post(respond: Respond | None, message: OutMessage, **kwargs: Any) -> None:
    if respond is None:
        logger.error("slack: cannot reply, the payload carried no response_url")
        return
    text, body = blocks.render(message)
    try:
        resp = await respond(text=text, blocks=body, **kwargs)
    except Exception as exc:  # a reply that cannot be posted must not kill the listener task
        logger.error("slack: response_url post failed: %s", type(exc).__name__)
        return
    status = getattr(resp, "status_code", 200)
    if status != 200:
        logger.error("slack: response_url post answered HTTP %s", status)


class SlackHandlers:
    """The three listeners; ``register(app)`` attaches them to a Bolt ``AsyncApp``."""

    def __init__(
        self, core: ChatCore, sender: ChatSender, names: UserNames | None = None, language: str = "ru"
    ) -> None:
        self.core = core
        self.sender = sender
        self.names = names
        self.language = language

    def register(self, app: AsyncApp) -> None:
        app.command("/pbx")(self.on_command)
        app.event("app_mention")(self.on_mention)
        app.action(ACTION_ID_RE)(self.on_action)

    async def _failure(self, chat: ChatRef) -> list[OutMessage]:
        return [OutMessage.plain(t(await self._language(chat), "slack.failed"))]

    async def _language(self, chat: ChatRef) -> str:
        """The chat's language (the core's), else BOT_LANGUAGE."""
        try:
            return await self.core.language(chat)
        except Exception:
            logger.warning("slack: language of %s unknown; using the default", chat)
            return self.language

    async def _with_mentions(self, cmd: ChatCommand) -> ChatCommand:
        """Attach the people mentioned in the arguments, with their workspace (``users.info``)."""
        if self.names is None:
            return cmd
        found = [await self.names.person(uid) for uid in inbound.mention_ids(cmd.args)[:5]]
        people = tuple(p for p in found if p is not None)
        return dataclasses.replace(cmd, mentions=people) if people else cmd

    async def on_command(self, ack: Ack, body: dict[str, Any], respond: Respond | None = None) -> None:
        await ack()
        cmd = inbound.command_from_slash(body)
        if cmd is None:
            logger.error("slack: dropped a slash command without channel or user")
            return
        try:
            cmd = await self._with_mentions(cmd)
            messages = await self.core.handle_command(cmd)
        except Exception:
            logger.exception("slack: core failed on /pbx %s", cmd.name)
            messages = await self._failure(cmd.chat)
        texts = [m for m in messages if m.photo is None or not await self._upload(cmd, m)]
        for message in merge_tail(texts):
            await _post(respond, message, response_type="in_channel", replace_original=False)

    async def _upload(self, cmd: ChatCommand, message: OutMessage) -> bool:
        """A reply with a picture as a file upload to the channel; False when it could not be."""
        try:
            await self.sender.send(cmd.chat, message)
        except DeliveryError as exc:  # e.g. the bot is not in the channel: the text goes alone
            logger.warning("slack: chart upload to %s failed (%s); replying with the text", cmd.chat, exc)
            return False
        return True

    async def on_mention(self, ack: Ack, event: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        cmd = inbound.command_from_mention(event, context.bot_user_id)
        if cmd is None:
            logger.error("slack: dropped an app_mention without channel or user")
            return
        if self.names is not None:  # an app_mention carries only the id: users.info has the rest
            found = await self.names.person(cmd.user.user_id)
            name, org = (found.username, found.org) if found is not None else ("", "")
            user = UserRef(cmd.user.platform, cmd.user.user_id, name, name, org or cmd.user.org)
            cmd = dataclasses.replace(cmd, user=user)
        cmd = dataclasses.replace(cmd, org=cmd.org or context.enterprise_id or context.team_id or "")
        try:
            cmd = await self._with_mentions(cmd)
            messages = await self.core.handle_command(cmd)
        except Exception:
            logger.exception("slack: core failed on mention %s", cmd.name)
            messages = await self._failure(cmd.chat)
        for message in messages:
            try:
                await self.sender.send(cmd.chat, message)
            except DeliveryError as exc:
                logger.error("slack: reply to a mention in %s failed: %s", cmd.chat, exc)

    async def on_action(self, ack: Ack, body: dict[str, Any], respond: Respond | None = None) -> None:
        await ack()
        action = inbound.action_from_block_actions(body)
        if action is None:
            logger.error("slack: dropped a button press with an unusable payload")
            return
        try:
            reply = await self.core.handle_action(action)
        except Exception:
            logger.exception("slack: core failed on button %s", action.action)
            reply = ActionReply(toast=t(await self._language(action.chat), "slack.failed"))
        await self._post_reply(respond, reply)

    async def _post_reply(self, respond: Respond | None, reply: ActionReply) -> None:
        if reply.edit is not None:
            await _post(respond, reply.edit, replace_original=True)
        for message in merge_tail(reply.messages, RESPONSE_URL_USES - 2):
            await _post(respond, message, response_type="in_channel", replace_original=False)
        if reply.toast:
            toast = OutMessage.plain(reply.toast)
            await _post(respond, toast, response_type="ephemeral", replace_original=False)
