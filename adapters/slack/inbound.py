"""Slack payloads -> the core's ``ChatCommand`` / ``ChatAction`` (pure functions, no I/O).

Tolerant of missing fields: a payload without a channel or a user yields None and is dropped
by the caller with one log line; nothing here decides what a command means.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from adapters.slack.blocks import VALUE_RE, parse_action_id
from bot.domain import ChatAction, ChatCommand, ChatRef, UserRef

PLATFORM = "slack"
_MENTION_RE = re.compile(r"^\s*<@([A-Z0-9]+)(?:\|[^>]*)?>[\s:,]*")
_USER_MENTION_RE = re.compile(r"^<@([A-Z0-9]{2,32})(?:\|[^>]*)?>$")  # an escaped mention: <@U123|anna>
_MEMBER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,32}$")  # a member id typed as plain text: U0ABC123


def _str(data: Mapping[str, Any] | None, key: str) -> str:
    value = (data or {}).get(key)
    return str(value).strip() if isinstance(value, str | int) else ""


def is_private(channel_id: str, channel_name: str = "") -> bool:
    """A DM: ``channel_name == "directmessage"`` or an id starting with ``D``."""
    return channel_name == "directmessage" or channel_id.startswith("D")


def split_command(text: str) -> tuple[str, tuple[str, ...], str]:
    """``"call 8800 x"`` -> ``("call", ("8800", "x"), "8800 x")``; empty text -> help."""
    text = html.unescape(text).strip()
    name, _, rest = text.partition(" ")
    if not name:
        return "help", (), ""
    name = name.strip().lower().lstrip("/")
    rest = rest.strip()
    return name or "help", tuple(rest.split()), rest


def mention_ids(args: tuple[str, ...]) -> list[str]:
    """Member ids of the user mentions among ``args`` (the manifest sets ``should_escape: true``,
    so Slack sends ``<@U123|anna>`` for a person picked after typing @), and of member ids typed
    as plain text (``U0ABC123``): both are looked up, so the core knows their organisation."""
    found = [m.group(1) for m in map(_USER_MENTION_RE.match, args) if m]
    return found + [a for a in args if _MEMBER_ID_RE.match(a)]


def org_of(body: Mapping[str, Any], team_key: str = "team_id") -> str:
    """The organisation a payload speaks for: its Enterprise Grid id, else its team id."""
    enterprise = body.get("enterprise")
    grid = _str(enterprise, "id") if isinstance(enterprise, dict) else _str(body, "enterprise_id")
    return grid or _str(body, team_key)


def command_from_slash(body: Mapping[str, Any]) -> ChatCommand | None:
    """A ``/pbx SUBCOMMAND ARGS`` slash command body."""
    channel_id, user_id = _str(body, "channel_id"), _str(body, "user_id")
    if not channel_id or not user_id:
        return None
    channel_name, user_name = _str(body, "channel_name"), _str(body, "user_name")
    name, args, rest = split_command(_str(body, "text"))
    private = is_private(channel_id, channel_name)
    org = org_of(body)
    return ChatCommand(
        chat=ChatRef(PLATFORM, channel_id),
        user=UserRef(PLATFORM, user_id, display=user_name, username=user_name, org=org),
        name=name,
        args=args,
        text=rest,
        chat_title=user_name if private else channel_name,
        is_private=private,
        org=org,
    )


def strip_mention(text: str, bot_user_id: str | None = None) -> str:
    """Drop the leading ``<@BOTID>`` (any leading mention when the bot id is unknown)."""
    match = _MENTION_RE.match(text)
    if match and (bot_user_id is None or match.group(1) == bot_user_id):
        return text[match.end() :]
    return text


def command_from_mention(event: Mapping[str, Any], bot_user_id: str | None = None) -> ChatCommand | None:
    """An ``app_mention`` event: ``<@BOT> who`` -> the ``who`` command."""
    channel_id, user_id = _str(event, "channel"), _str(event, "user")
    if not channel_id or not user_id:
        return None
    name, args, rest = split_command(strip_mention(_str(event, "text"), bot_user_id))
    return ChatCommand(
        chat=ChatRef(PLATFORM, channel_id),
        user=UserRef(PLATFORM, user_id, org=_str(event, "user_team")),
        name=name,
        args=args,
        text=rest,
        is_private=is_private(channel_id, _str(event, "channel_type")),
        org=_str(event, "user_team") or _str(event, "team"),
    )


def action_from_block_actions(body: Mapping[str, Any]) -> ChatAction | None:
    """The first button of a ``block_actions`` payload (action_id ``pbx_<action>[.n]``)."""
    actions = body.get("actions") or []
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    action = parse_action_id(_str(first, "action_id"))
    arg = _str(first, "value")
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    channel_id = _str(channel, "id") or _str(container, "channel_id")
    user_id = _str(user, "id")
    if action is None or not VALUE_RE.fullmatch(arg) or not channel_id or not user_id:
        return None
    handle = _str(user, "username") or _str(user, "name")
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    message_ts = _str(container, "message_ts") or _str(message, "ts")
    return ChatAction(
        chat=ChatRef(PLATFORM, channel_id),
        user=UserRef(PLATFORM, user_id, display=handle, username=handle, org=_str(user, "team_id")),
        action=action,
        arg=arg,
        message_id=message_ts or None,
    )
