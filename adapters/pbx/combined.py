"""One :class:`bot.ports.PbxApi` made of a socket source and an optional HTTP source.

Strategy: every command goes to the socket when the socket's API has it, else to the HTTP API when
that has it (API 3.0: click-to-call, users and trunks exist only over HTTP). Click-to-call also
falls back to HTTP while the socket is down, so ``/call`` and Call back work during a reconnect.
:class:`Unsupported` is the base of partial sources: each command it does not override raises
:class:`bot.errors.PbxNotSupported`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace

from bot.domain import SipUser, Trunk
from bot.errors import PbxError, PbxNotSupported, PbxUnavailable
from bot.ports import PbxApi

logger = logging.getLogger(__name__)


class Unsupported:
    """A PBX source with no commands; subclasses override what their API has and list it in
    ``capabilities``."""

    capabilities: frozenset[str] = frozenset()
    api_name = "?"

    def _no(self, command: str) -> PbxNotSupported:
        return PbxNotSupported(command, self.api_name)

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
        raise self._no("make_call")

    async def transfer(
        self, uuid: str, to: str, *, gate_to: str | None = None, domain_to: str | None = None
    ) -> None:
        raise self._no("transfer")

    async def bridge(self, uuid: str, to_uuid: str) -> None:
        raise self._no("bridge")

    async def eavesdrop(self, uuid: str, from_: str, *, gate_from: str | None = None) -> str:
        raise self._no("eavesdrop")

    async def hangup_call(self, uuid: str) -> None:
        raise self._no("hangup_call")

    async def subscribe(self, events: Mapping[str, bool]) -> dict[str, bool]:
        raise self._no("subscribe")

    async def reboot_phone(self, num: str, model: str) -> None:
        raise self._no("reboot_phone")

    async def reloadgw(self, num: str) -> None:
        raise self._no("reloadgw")

    async def sip_message(self, num: str, text: str) -> None:
        raise self._no("sip_message")

    async def flush_reg(self, num: str) -> None:
        raise self._no("flush_reg")

    async def trunk_list(self) -> list[Trunk]:
        raise self._no("trunk_list")

    async def user_list(self) -> list[SipUser]:
        raise self._no("user_list")

    async def message(self, data: str, target: str = "domain") -> None:
        raise self._no("message")


class CombinedPbx:
    """Implements :class:`bot.ports.PbxApi` over ``socket`` and, where it lacks a command or is
    down (click-to-call only), ``http``. ``socket_up`` says whether the socket link is up now."""

    def __init__(self, socket: PbxApi, http: PbxApi | None, socket_up: Callable[[], bool]) -> None:
        self.socket, self.http, self.socket_up = socket, http, socket_up

    @property
    def capabilities(self) -> frozenset[str]:
        extra = self.http.capabilities if self.http is not None else frozenset()
        return self.socket.capabilities | extra

    @property
    def api_name(self) -> str:
        return self.socket.api_name

    def _pick(self, command: str) -> PbxApi:
        if command in self.socket.capabilities:
            return self.socket
        if self.http is not None and command in self.http.capabilities:
            return self.http
        raise PbxNotSupported(command, self.api_name)

    def _http_for(self, command: str) -> PbxApi | None:
        http = self.http
        return http if http is not None and command in http.capabilities else None

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
        fields = {"from_orig_number": from_orig_number, "from_orig_name": from_orig_name,
                  "domain_to": domain_to, "from_name": from_name, "gate_from": gate_from, "gate_to": gate_to}
        source, http = self._pick("make_call"), self._http_for("make_call")
        if source is self.socket and http is not None and not self.socket_up():
            source = http  # the link is reconnecting: dial over HTTP instead of waiting for it
        try:
            return await source.make_call(from_, to, **fields)
        except PbxUnavailable:
            if http is None or source is http:
                raise
            return await http.make_call(from_, to, **fields)

    async def transfer(
        self, uuid: str, to: str, *, gate_to: str | None = None, domain_to: str | None = None
    ) -> None:
        await self._pick("transfer").transfer(uuid, to, gate_to=gate_to, domain_to=domain_to)

    async def bridge(self, uuid: str, to_uuid: str) -> None:
        await self._pick("bridge").bridge(uuid, to_uuid)

    async def eavesdrop(self, uuid: str, from_: str, *, gate_from: str | None = None) -> str:
        return await self._pick("eavesdrop").eavesdrop(uuid, from_, gate_from=gate_from)

    async def hangup_call(self, uuid: str) -> None:
        await self._pick("hangup_call").hangup_call(uuid)

    async def subscribe(self, events: Mapping[str, bool]) -> dict[str, bool]:
        return await self.socket.subscribe(events)

    async def reboot_phone(self, num: str, model: str) -> None:
        await self._pick("reboot_phone").reboot_phone(num, model)

    async def reloadgw(self, num: str) -> None:
        await self._pick("reloadgw").reloadgw(num)

    async def sip_message(self, num: str, text: str) -> None:
        await self._pick("sip_message").sip_message(num, text)

    async def flush_reg(self, num: str) -> None:
        await self._pick("flush_reg").flush_reg(num)

    async def trunk_list(self) -> list[Trunk]:
        return await self._pick("trunk_list").trunk_list()

    async def user_list(self) -> list[SipUser]:
        """The socket's list (registered phones) with names filled in from the HTTP API's
        ``user/get.json`` where the socket gave none (``/who`` shows them); when HTTP fails, the
        socket's list as it is. Without a socket ``user_list``, the HTTP one."""
        source = self._pick("user_list")
        users = await source.user_list()
        http = self._http_for("user_list")
        if http is None or source is http or all(u.name for u in users):
            return users
        try:
            names = {u.uid: u.name for u in await http.user_list() if u.name}
        except PbxError as exc:
            logger.info("names from the HTTP API unavailable: %s", exc)
            return users
        return [u if u.name or u.uid not in names else replace(u, name=names[u.uid]) for u in users]

    async def message(self, data: str, target: str = "domain") -> None:
        await self._pick("message").message(data, target)
