"""The 3.0 wire, sans-I/O: command frames out, frames in, replies matched to their commands.

Strategy: :func:`decode` turns one text frame into a :class:`Frame` or raises ProtocolError;
:class:`Pending` pairs replies with commands by ``reqId`` and, when a reply comes back without
one, by its event name (the oldest command waiting for that name wins). The rules that say a
key was refused (an ``error_*`` event, a close frame) are plain functions here, tested alone.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import PbxCommandError, ProtocolError

#: command -> the event that answers it (its error is ``error_<command>``)
REPLIES = {"subscribe": "subscribed", "unsubscribe": "unsubscribed", "transfer": "transferred",
           "bridge": "bridged", "hangup_channel": "hangup_channel"}  # fmt: skip
#: 2.0-style group switches -> 3.0 group names (snake_case, as the contract's enum declares)
GROUPS = {"calls": "calls", "blf": "user_blf", "registration": "user_registration"}
GATEWAY_GROUP = "gateway"
#: what an error message or close reason says when the key was refused (any reading)
_AUTH_WORDS = re.compile(r"key|auth|unauthori[sz]ed|forbidden|denied|401|403", re.IGNORECASE)
#: close codes that mean "go away, you are not allowed" (policy violation, 4xxx echoes of 401/403)
AUTH_CLOSE_CODES = frozenset({1008, 4001, 4003, 4401, 4403})


class PbxErrorEvent(PbxCommandError):
    """The PBX answered a command with ``error_<command>``; ``message`` is its text."""

    def __init__(self, command: str, event: str, message: str) -> None:
        super().__init__(command, message or event)
        self.event, self.message = event, message

    @property
    def refused_key(self) -> bool:
        """The error says the API key was refused (see :func:`refused_key`)."""
        return refused_key(Frame(self.event, message=self.message))


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded server frame: ``event``, optional ``req_id``, ``data`` and ``message``."""

    event: str
    req_id: str | None = None
    data: Any = None
    message: str = ""

    @property
    def is_error(self) -> bool:
        return self.event.startswith("error_")


def camel(group: str) -> str:
    """``user_blf`` -> ``userBlf`` (the spelling two UIs send; a server may want it)."""
    head, *rest = group.split("_")
    return head + "".join(part.title() for part in rest)


def new_req_id() -> str:
    """A fresh, unique-enough request id (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def encode_command(command: str, data: Mapping[str, Any], req_id: str | None) -> str:
    """``{"command", "reqId", "data"}`` as one JSON text (no reqId when ``req_id`` is None)."""
    frame: dict[str, Any] = {"command": command, "data": dict(data)}
    if req_id is not None:
        frame["reqId"] = req_id
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> Frame:
    """One text frame -> :class:`Frame`; not JSON (nested deeper than the parser recurses
    included), not an object or no event name -> ProtocolError."""
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"not JSON: {str(exc)[:60]}") from None
    except RecursionError:
        raise ProtocolError("JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"a JSON {type(obj).__name__}, not an object")
    name = obj.get("event")
    if not isinstance(name, str) or not name:
        raise ProtocolError("no event name")
    req = obj.get("reqId")
    message = obj.get("message")
    return Frame(name, None if req in (None, "") else str(req), obj.get("data"),
                 message if isinstance(message, str) else "")


def is_reply(frame: Frame) -> bool:
    """A reply to some command (by its name), as opposed to a PBX event."""
    return frame.is_error or frame.event in _REPLY_EVENTS or frame.req_id is not None


def refused_key(frame: Frame) -> bool:
    """An ``error_*`` that says the key was refused (auth/key wording, or an ``error_auth*``)."""
    return frame.is_error and (frame.event.startswith(("error_auth", "error_key"))
                               or bool(_AUTH_WORDS.search(frame.message)))


def refused_by_close(code: int | None, reason: str) -> bool:
    """A close frame that means the key was refused."""
    return code in AUTH_CLOSE_CODES or bool(reason and _AUTH_WORDS.search(reason))


_REPLY_EVENTS = frozenset(REPLIES.values())


@dataclass
class Pending:
    """Commands waiting for a reply: ``req_id -> command``, in the order they were sent."""

    waiting: dict[str, str] = field(default_factory=dict)

    def add(self, command: str) -> str:
        """Register ``command`` under a fresh reqId (returned)."""
        while (req_id := new_req_id()) in self.waiting:
            pass
        self.waiting[req_id] = command
        return req_id

    def discard(self, req_id: str) -> None:
        self.waiting.pop(req_id, None)

    def match(self, frame: Frame) -> str | None:
        """The reqId ``frame`` answers (and forget it), or None for a late or stray reply."""
        if frame.req_id is not None:
            return frame.req_id if self.waiting.pop(frame.req_id, None) is not None else None
        for req_id, command in self.waiting.items():  # oldest first
            if frame.event in (REPLIES.get(command), f"error_{command}"):
                del self.waiting[req_id]
                return req_id
        return None


def result(command: str, frame: Frame) -> Any:
    """The reply's ``data``, or :class:`PbxErrorEvent` for an ``error_*`` answer."""
    if frame.is_error:
        raise PbxErrorEvent(command, frame.event, frame.message)
    return frame.data
