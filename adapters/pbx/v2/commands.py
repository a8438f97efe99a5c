"""Validation, wire payloads and replies of the 13 onlinePBX commands.

Strategy: every command's ``data`` is built here, after checking its arguments; bad input raises
:class:`bot.errors.InvalidArgument` with an i18n key registered below, before anything is sent.
:class:`PbxCommands` maps the ``PbxApi`` methods onto one abstract ``_command(name, data)``.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Collection, Mapping
from typing import Any

from adapters.pbx.parse import parse_trunk_list, parse_user_list
from bot.domain import SipUser, Trunk
from bot.errors import InvalidArgument, PbxCommandError
from bot.i18n import register

SIP_MESSAGE_LIMIT = 200
PHONE_MODELS = ("yealink", "cisco")
MESSAGE_TARGETS = ("domain", "browser")
HASH_ALPHABET = string.digits + string.ascii_letters
HASH_LENGTH = 16

register(
    {
        "pbx.invalid.empty": ("{field} must not be empty", "Поле {field} не должно быть пустым"),
        "pbx.invalid.text_too_long": (
            "Text is longer than {limit} characters",
            "Текст длиннее {limit} символов",
        ),
        "pbx.invalid.model": (
            "Phone model must be one of: {allowed}",
            "Модель телефона должна быть одной из: {allowed}",
        ),
        "pbx.invalid.target": (
            "Message target must be one of: {allowed}",
            "Адресат сообщения должен быть одним из: {allowed}",
        ),
    }
)


def new_hash(taken: Collection[str] = ()) -> str:
    """A random 16-character ``callback_hash`` from [0-9a-zA-Z], not in ``taken``."""
    while True:
        value = "".join(secrets.choice(HASH_ALPHABET) for _ in range(HASH_LENGTH))
        if value not in taken:
            return value


def required(field: str, value: str) -> str:
    """``value`` stripped; InvalidArgument if empty."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidArgument("pbx.invalid.empty", field=field)
    return text


def one_of(key: str, value: str, allowed: tuple[str, ...]) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if text not in allowed:
        raise InvalidArgument(key, allowed=", ".join(allowed))
    return text


def optional(**fields: str | None) -> dict[str, str]:
    """The optional fields that were given (None means absent)."""
    return {k: v for k, v in fields.items() if v is not None and v != ""}


def make_call(from_: str, to: str, **extra: str | None) -> dict[str, Any]:
    return {"from": required("from", from_), "to": required("to", to), **optional(**extra)}


def transfer(uuid: str, to: str, **extra: str | None) -> dict[str, Any]:
    return {"uuid": required("uuid", uuid), "to": required("to", to), **optional(**extra)}


def bridge(uuid: str, to_uuid: str) -> dict[str, Any]:
    return {"uuid": required("uuid", uuid), "to_uuid": required("to_uuid", to_uuid)}


def eavesdrop(uuid: str, from_: str, gate_from: str | None) -> dict[str, Any]:
    return {"uuid": required("uuid", uuid), "from": required("from", from_), **optional(gate_from=gate_from)}


def by_uuid(uuid: str) -> dict[str, Any]:
    return {"uuid": required("uuid", uuid)}


def by_num(num: str) -> dict[str, Any]:
    return {"num": required("num", num)}


def subscribe(events: Mapping[str, bool]) -> dict[str, Any]:
    return {"events": {str(k): bool(v) for k, v in events.items()}}


def reboot_phone(num: str, model: str) -> dict[str, Any]:
    return {"num": required("num", num), "model": one_of("pbx.invalid.model", model, PHONE_MODELS)}


def sip_message(num: str, text: str) -> dict[str, Any]:
    body = required("text", text)
    if len(body) > SIP_MESSAGE_LIMIT:
        raise InvalidArgument("pbx.invalid.text_too_long", limit=SIP_MESSAGE_LIMIT)
    return {"num": required("num", num), "text": body}


def message(data: str, target: str) -> dict[str, Any]:
    return {"data": required("data", data), "target": one_of("pbx.invalid.target", target, MESSAGE_TARGETS)}


def check_reply(command: str, reply: Any) -> Any:
    """The reply's ``data``; PbxCommandError unless ``status`` is true."""
    if not isinstance(reply, dict):
        raise PbxCommandError(command, "INVALID_REPLY")
    status = reply.get("status")
    if status is not True and status not in ("true", 1):
        raise PbxCommandError(command, str(reply.get("text") or "UNKNOWN_ERROR"))
    return reply.get("data")


def _uuid_of(command: str, data: Any) -> str:
    uuid = data.get("uuid") if isinstance(data, dict) else None
    if isinstance(uuid, bool) or not isinstance(uuid, str | int) or uuid == "":
        raise PbxCommandError(command, "NO_UUID_IN_REPLY")
    return str(uuid)


class PbxCommands:
    """The 13 commands of :class:`bot.ports.PbxApi` on top of ``_command(name, data)``."""

    async def _command(self, name: str, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def make_call(
        self,
        from_: str,
        to: str,
        *,
        from_orig_number: str | None = None,
        from_orig_name: str | None = None,
        domain_to: str | None = None,
        from_name: str | None = None,
        gate_from: str | None = None,
        gate_to: str | None = None,
    ) -> str:
        """Returns the uuid of the new call."""
        data = make_call(
            from_, to, from_orig_number=from_orig_number, from_orig_name=from_orig_name,
            domain_to=domain_to, from_name=from_name, gate_from=gate_from, gate_to=gate_to,
        )
        return _uuid_of("make_call", await self._command("make_call", data))

    async def transfer(
        self, uuid: str, to: str, *, gate_to: str | None = None, domain_to: str | None = None
    ) -> None:
        await self._command("transfer", transfer(uuid, to, gate_to=gate_to, domain_to=domain_to))

    async def bridge(self, uuid: str, to_uuid: str) -> None:
        await self._command("bridge", bridge(uuid, to_uuid))

    async def eavesdrop(self, uuid: str, from_: str, *, gate_from: str | None = None) -> str:
        """Returns the uuid of the listening call."""
        return _uuid_of("eavesdrop", await self._command("eavesdrop", eavesdrop(uuid, from_, gate_from)))

    async def hangup_call(self, uuid: str) -> None:
        await self._command("hangup_call", by_uuid(uuid))

    async def subscribe(self, events: Mapping[str, bool]) -> dict[str, bool]:
        """The subscription map the PBX reports (boolean entries only)."""
        data = await self._command("subscribe", subscribe(events))
        items = data.items() if isinstance(data, dict) else ()
        return {str(k): v for k, v in items if isinstance(v, bool)}

    async def reboot_phone(self, num: str, model: str) -> None:
        await self._command("reboot_phone", reboot_phone(num, model))

    async def reloadgw(self, num: str) -> None:
        await self._command("reloadgw", by_num(num))

    async def sip_message(self, num: str, text: str) -> None:
        await self._command("sip_message", sip_message(num, text))

    async def flush_reg(self, num: str) -> None:
        await self._command("flush_reg", by_num(num))

    async def trunk_list(self) -> list[Trunk]:
        return parse_trunk_list(await self._command("trunk_list", {}))

    async def user_list(self) -> list[SipUser]:
        return parse_user_list(await self._command("user_list", {}))

    async def message(self, data: str, target: str = "domain") -> None:
        await self._command("message", message(data, target))
