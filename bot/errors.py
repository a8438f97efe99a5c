"""One error root for the whole project, with named subclasses.

Peer garbage (a malformed frame, a bad event payload) and caller misuse (bad command arguments)
are different types, so callers can tell "the PBX sent junk" from "the user typed junk".
"""

from __future__ import annotations


class BotError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(BotError):
    """A setting is missing or invalid. The message names the setting, never its value."""


# --- PBX link -------------------------------------------------------------------------------


class PbxError(BotError):
    """Anything that went wrong talking to the PBX."""


class ProtocolError(PbxError):
    """The peer sent something the Socket.IO 0.9 codec cannot accept (peer garbage)."""


class FrameTooLarge(ProtocolError):
    """A frame exceeded the configured size limit; it was skipped."""


class MalformedEvent(PbxError):
    """An event payload did not fit its schema (wrong type, missing required field)."""

    def __init__(self, event: str, reason: str) -> None:
        super().__init__(f"malformed {event!r} event: {reason}")
        self.event = event
        self.reason = reason


class AuthenticationError(PbxError):
    """The PBX refused the key at handshake (HTTP 403). Names the domain, never the key."""


class HandshakeError(PbxError):
    """The handshake failed for another reason (network, HTTP status, unreadable answer)."""


class PbxUnavailable(PbxError):
    """The link was down for the whole command timeout; the command was not sent."""


class PbxNotSupported(PbxError):
    """The connected PBX's API has no such command (e.g. ``eavesdrop`` on API 3.0)."""

    def __init__(self, command: str, api: str) -> None:
        super().__init__(f"{command} is not available on this PBX's API ({api})")
        self.command = command
        self.api = api


class PbxTimeout(PbxError):
    """The command was sent but no ``callback`` came back in time."""


class PbxCommandError(PbxError):
    """The PBX answered ``status: false``; ``code`` is its ``text`` (e.g. ``CALL_REJECTED``)."""

    def __init__(self, command: str, code: str) -> None:
        super().__init__(f"PBX refused {command}: {code}")
        self.command = command
        self.code = code


# --- caller misuse --------------------------------------------------------------------------


class InvalidArgument(BotError):
    """A command argument is invalid (caller misuse). ``key`` is an i18n message key."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(f"{key} {params}" if params else key)
        self.key = key
        self.params = params


class Refused(InvalidArgument):
    """A command's own scope check refused it (a call or phone that is not this chat's, a report
    this chat may not see): audited as refused (✗), not as an invalid argument."""


# --- chat delivery --------------------------------------------------------------------------


class DeliveryError(BotError):
    """A chat platform did not take a message; transient unless a subclass says otherwise."""


class RetryAfter(DeliveryError):
    """The platform asked us to wait (Telegram 429 ``retry_after``, Slack ``Retry-After``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited, retry after {seconds:g}s")
        self.seconds = seconds


class ChatGone(DeliveryError):
    """The bot was removed from the chat or blocked (Telegram 403, Slack channel_not_found)."""


class ChatMigrated(DeliveryError):
    """A Telegram group became a supergroup; the chat now lives under ``new_chat_id``."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class MessageGone(DeliveryError):
    """An edit targeted a message that no longer exists (or cannot be edited)."""


# --- storage --------------------------------------------------------------------------------


class StorageError(BotError):
    """The database failed (locked for too long, corrupt, unwritable)."""
