"""The 13 commands of the contract: validate the request, apply it to the engine, build the reply.

Strategy: one small method per command returns the reply's ``data`` (or ``None``) or raises
:class:`CommandRefused` with the error code that goes into ``{"status": false, "text": code}``.
The server adds ``hash`` and sends the ``callback`` event; it never sees a command's details.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.pbx.simulator import actions
from adapters.pbx.simulator.engine import Engine, now_ms
from adapters.pbx.simulator.legs import Payload, Step, blf
from bot.errors import BotError

logger = logging.getLogger(__name__)
SUBSCRIPTION_KEYS = ("calls", "blf", "fax", "conference", "messages", "callback", "api", "registration")
COMMANDS = ("make_call", "transfer", "bridge", "eavesdrop", "hangup_call", "subscribe", "reboot_phone",
            "reloadgw", "sip_message", "flush_reg", "trunk_list", "user_list", "message")
MAX_SIP_MESSAGE = 200


class CommandRefused(BotError):
    """The simulated PBX refuses a command; ``code`` becomes the reply's ``text``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _field(data: Payload, key: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None or value is False or isinstance(value, dict | list) or str(value).strip() == "":
        if required:
            raise CommandRefused("INVALID_PARAMETERS")
        return ""
    return str(value).strip()


def _is_external(num: str) -> bool:
    return num.lstrip("+").isdigit() and len(num.lstrip("+")) >= 6


class Commands:
    """Handles one command for one socket (whose subscription map is passed in and updated)."""

    def __init__(self, engine: Engine, broadcast: Callable[[str, Payload], Awaitable[None]]) -> None:
        self.engine = engine
        self._broadcast = broadcast  # for the `message` event, which bypasses the engine's book

    async def handle(self, name: str, data: Payload, subs: dict[str, bool]) -> Payload:
        """The reply (without ``hash``). Raises ``KeyError`` for a name that is not a command."""
        if name not in COMMANDS:
            raise KeyError(name)
        try:
            if name == "subscribe":
                subscribed = self.subscribe(data, subs)
                return {"status": True, "text": "Subscriptions are updated", "data": subscribed}
            result = await getattr(self, name)(data)
        except CommandRefused as exc:
            return {"status": False, "text": exc.code}
        return {"status": True} if result is None else {"status": True, "data": result}

    # --- numbers ------------------------------------------------------------------------------
    def _ext(self, num: str) -> str:
        if not self.engine.roster.is_extension(num):
            raise CommandRefused("NO_SUCH_EXTENSION")
        return num

    def _routable(self, num: str) -> str:
        roster = self.engine.roster
        if roster.is_extension(num) or num in roster.groups or _is_external(num):
            return num
        raise CommandRefused("NO_ROUTE_DESTINATION")

    def _gate(self, data: Payload, key: str) -> str:
        gate = _field(data, key, required=False)
        if gate and self.engine.roster.trunk(gate) is None:
            raise CommandRefused("NO_SUCH_TRUNK")
        return gate

    def _uuid(self, data: Payload, key: str = "uuid") -> str:
        uuid = _field(data, key)
        if uuid not in self.engine.book.channels:
            raise CommandRefused("NO_SUCH_CHANNEL")
        return uuid

    # --- calls --------------------------------------------------------------------------------
    async def make_call(self, data: Payload) -> Any:
        frm, to = _field(data, "from"), _field(data, "to")
        if not _is_external(frm):
            self._ext(frm)
        if _field(data, "domain_to", required=False) in ("", self.engine.domain):
            self._routable(to)
        self._gate(data, "gate_from")
        uuid = self.engine.make_call(frm, to, shown_number=_field(data, "from_orig_number", required=False),
                                     shown_name=_field(data, "from_orig_name", required=False),
                                     gate=self._gate(data, "gate_to"))
        return {"uuid": uuid}

    async def transfer(self, data: Payload) -> Any:
        uuid, to = self._uuid(data), self._routable(_field(data, "to"))
        await self.engine.transfer(uuid, to, self._gate(data, "gate_to"))

    async def bridge(self, data: Payload) -> Any:
        uuid, other = self._uuid(data), self._uuid(data, "to_uuid")
        if uuid == other:
            raise CommandRefused("INVALID_PARAMETERS")
        await self.engine.bridge(uuid, other)

    async def eavesdrop(self, data: Payload) -> Any:
        uuid, frm = self._uuid(data), _field(data, "from")
        if not _is_external(frm):
            self._ext(frm)
        return {"uuid": self.engine.eavesdrop(uuid, frm, self._gate(data, "gate_from"))}

    async def hangup_call(self, data: Payload) -> Any:
        await self.engine.hangup(self._uuid(data))

    # --- phones and trunks --------------------------------------------------------------------
    def subscribe(self, data: Payload, subs: dict[str, bool]) -> Payload:
        events = data.get("events")
        if not isinstance(events, dict):
            raise CommandRefused("INVALID_PARAMETERS")
        for key, value in events.items():
            if key in SUBSCRIPTION_KEYS:
                subs[key] = bool(value)
        return {key: subs.get(key, False) for key in SUBSCRIPTION_KEYS}

    async def reboot_phone(self, data: Payload) -> Any:
        num = self._ext(_field(data, "num"))
        if _field(data, "model").lower() not in ("yealink", "cisco"):
            raise CommandRefused("UNSUPPORTED_MODEL")
        if num not in self.engine.book.registered():
            raise CommandRefused("NOT_REGISTERED")
        ext = self.engine.roster.extension(num)
        assert ext is not None
        steps = [Step(s.at + 3.0, s.name, s.payload) for s in actions.registration_events(ext, 300)]
        self.engine.start(steps)

    async def reloadgw(self, data: Payload) -> Any:
        if self.engine.roster.trunk(_field(data, "num")) is None:
            raise CommandRefused("NO_SUCH_TRUNK")

    async def sip_message(self, data: Payload) -> Any:
        self._ext(_field(data, "num"))
        if len(_field(data, "text")) > MAX_SIP_MESSAGE:
            raise CommandRefused("MESSAGE_TOO_LONG")

    async def flush_reg(self, data: Payload) -> Any:
        num = self._ext(_field(data, "num"))
        if num in self.engine.book.regs:
            await self.engine.emit("blf", blf(num, "unregistered", "", "", now_ms()))

    async def trunk_list(self, data: Payload) -> Any:
        return [{"extension": t.num, "desc": t.desc, "dest": t.dest, "uri": t.uri, "status": t.status}
                for t in self.engine.roster.trunks]

    async def user_list(self, data: Payload) -> Any:
        out = []
        for uid, reg in sorted(self.engine.book.registered().items()):
            ext = self.engine.roster.extension(uid)
            port = str(reg.payload.get("port", 5060))
            out.append({
                "name": ext.name if ext else uid, "local_ip": ext.local_ip if ext else "", "local_port": port,
                "exp": reg.exp_ms, "realm": self.engine.domain, "uid": uid,
                "ip": str(reg.payload.get("ip", "")), "port": port,
                "agent": str(reg.payload.get("agent", "")),
            })
        return out

    async def message(self, data: Payload) -> Any:
        text, target = _field(data, "data"), _field(data, "target", required=False) or "domain"
        if target not in ("domain", "browser"):
            raise CommandRefused("INVALID_PARAMETERS")
        await self._broadcast("message", {"data": text, "target": target})
