"""The 3.0 commands: ``subscribe`` (with its group spellings) and the three socket commands.

Strategy: a mixin over :class:`adapters.pbx.combined.Unsupported`; each command is a fresh
``reqId`` registered in :class:`.wire.Pending`, one frame out, and a future the client's reader
resolves with the matching reply (``error_*`` replies raise :class:`.wire.PbxErrorEvent`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from adapters.pbx.combined import Unsupported
from adapters.pbx.reconnect import send_and_wait
from adapters.pbx.v2.commands import required
from adapters.pbx.v3 import wire
from adapters.pbx.v3.link import Link
from bot.errors import PbxUnavailable

logger = logging.getLogger(__name__)


class V3Commands(Unsupported):
    """What API 3.0 can do over the socket; the client provides the link and the reply futures."""

    capabilities: frozenset[str] = frozenset({"transfer", "bridge", "hangup_call"})
    api_name = "3.0"
    command_timeout: float
    group_styles: list[str]
    _link: Link | None
    _pending: wire.Pending
    _futures: dict[str, asyncio.Future[wire.Frame]]
    _up: asyncio.Event

    async def subscribe(self, events: Mapping[str, bool]) -> dict[str, bool]:
        """Subscribe the groups switched on in ``events`` (2.0 names) plus ``gateway``; the
        first group spelling the PBX accepts is remembered for the next reconnect."""
        groups = [wire.GROUPS[g] for g, on in events.items() if on and g in wire.GROUPS]
        groups.append(wire.GATEWAY_GROUP)
        for style in list(self.group_styles):
            names = [wire.camel(g) for g in groups] if style == "camel" else groups
            try:
                data = await self._request("subscribe", {"eventGroups": names})
            except wire.PbxErrorEvent as exc:
                if exc.refused_key or style == self.group_styles[-1]:
                    raise
                logger.info("the PBX refused %s group names (%s); trying the next", style, exc.message)
                continue
            self.group_styles.remove(style)
            self.group_styles.insert(0, style)
            return _granted(groups, names, data)
        raise PbxUnavailable("subscribe: no group spelling to try")

    async def _command(self, name: str, data: dict[str, Any]) -> Any:
        if not self._up.is_set():
            try:
                await asyncio.wait_for(self._up.wait(), self.command_timeout)
            except TimeoutError:
                down = f"{name}: the PBX link stayed down for {self.command_timeout:g} s"
                raise PbxUnavailable(down) from None
        return await self._request(name, data)

    async def _request(self, name: str, data: dict[str, Any]) -> Any:
        link = self._link
        if link is None or link.ws.closed:
            raise PbxUnavailable(f"{name}: the PBX link is down")
        req_id = self._pending.add(name)
        fut: asyncio.Future[wire.Frame] = asyncio.get_running_loop().create_future()
        self._futures[req_id] = fut
        try:
            sent = link.send(wire.encode_command(name, data, req_id))
            frame = await send_and_wait(name, sent, fut, self.command_timeout)
        finally:
            self._pending.discard(req_id)
            self._futures.pop(req_id, None)
        return wire.result(name, frame)

    async def transfer(self, uuid: str, to: str, *, gate_to: str | None = None,
                       domain_to: str | None = None) -> None:
        data: dict[str, Any] = {"uuid": required("uuid", uuid), "to": required("to", to)}
        if domain_to:
            data["domain_to"] = domain_to
        if gate_to:
            data["gateway_id"] = gate_to
        await self._command("transfer", data)

    async def bridge(self, uuid: str, to_uuid: str) -> None:
        await self._command("bridge", {"uuids": [required("uuid", uuid), required("to_uuid", to_uuid)]})

    async def hangup_call(self, uuid: str) -> None:
        """Hang up channel (leg) ``uuid``: the 3.0 ``hangup_channel`` command."""
        await self._command("hangup_channel", {"uuid": required("uuid", uuid)})


def _granted(groups: list[str], sent: list[str], data: Any) -> dict[str, bool]:
    """Which groups the ``subscribed`` reply lists (all of them when it lists none)."""
    echoed = data.get("eventGroups") if isinstance(data, dict) else None
    if not isinstance(echoed, list):
        return dict.fromkeys(groups, True)
    return {g: s in echoed or g in echoed for g, s in zip(groups, sent, strict=True)}
