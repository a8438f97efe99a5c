"""``PbxClient``: the onlinePBX WebSockets API 2.0 over Socket.IO 0.9, reconnecting forever.

Strategy: :meth:`PbxClient.run` loops handshake -> session -> backoff; every session re-sends
``subscribe``. Commands are events carrying a random ``callback_hash``; the ``callback`` event with
that hash resolves the waiting future. Other events go through ``parse_event`` to ``on_event``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp

from adapters.pbx.parse import parse_event
from adapters.pbx.reconnect import LinkState, Reconnecting, send_and_wait
from adapters.pbx.v2 import commands as cmd
from adapters.pbx.v2 import socketio09 as sio
from adapters.pbx.v2.transport import Link, LinkClosed, LinkStats, handshake, open_link
from bot.backoff import Backoff
from bot.errors import (
    MalformedEvent,
    PbxCommandError,
    PbxError,
    PbxUnavailable,
)
from bot.events import PbxEvent
from bot.ports import PBX_COMMANDS

logger = logging.getLogger(__name__)

DEFAULT_EVENTS = {
    "calls": True, "blf": True, "registration": True, "messages": False, "callback": False, "api": False
}
__all__ = ["DEFAULT_EVENTS", "LinkState", "PbxClient"]


class PbxClient(cmd.PbxCommands, Reconnecting):
    """Implements :class:`bot.ports.PbxApi`. Run :meth:`run` as a task; stop with :meth:`close`."""

    #: API 2.0 has every command the core knows
    capabilities: frozenset[str] = PBX_COMMANDS
    api_name = "2.0"

    def __init__(
        self,
        base_url: str,
        domain: str,
        key: str,
        *,
        events: Mapping[str, bool] | None = None,
        on_event: Callable[[PbxEvent], Awaitable[None]],
        on_state: Callable[[LinkState], None] | None = None,
        command_timeout: float = 10.0,
        max_frame: int = sio.DEFAULT_MAX_FRAME,
        backoff: Backoff | None = None,
        auth_backoff: Backoff | None = None,
        stable_after: float = 30.0,
    ) -> None:
        self.base_url, self.domain, self._key = base_url.rstrip("/"), domain, key
        self.events = {**DEFAULT_EVENTS, **(events or {})}
        self._on_event = on_event
        self.command_timeout, self.max_frame = command_timeout, max_frame
        self._init_loop(on_state, backoff, auth_backoff, stable_after)
        self.events_in = self.malformed_events = 0
        self._stats = LinkStats()
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._link: Link | None = None
        self._opening: Link | None = None  # the link of the running session, up or not yet
        self._subscriber: asyncio.Task[None] | None = None

    # --- public state -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._link is not None

    @property
    def protocol_errors(self) -> int:
        return self._stats.protocol_errors

    # --- the connection loop ------------------------------------------------------------------

    async def close(self) -> None:
        """Stop :meth:`run` and end the session; in-flight commands fail."""
        self._closed = True
        self._stop.set()
        link = self._link or self._opening  # also a session still waiting for its CONNECT
        if link is not None:
            await link.ws.close()

    async def _session(self, session: aiohttp.ClientSession) -> None:
        answer = await handshake(session, self.base_url, self.domain, self._key)
        self.auth_backoff.reset()
        link = await open_link(
            session, self.base_url, self.domain, self._key, answer, self._stats, self.max_frame
        )
        try:
            if self._closed:
                return
            self._opening = link
            await link.serve(self._dispatch)
        finally:
            self._opening = None
            await link.ws.close()

    def _up_with(self, link: Link) -> None:
        self._link = link
        self._up.set()
        self._mark_up()
        logger.info("PBX link up (domain %s)", self.domain)
        self._subscriber = asyncio.create_task(self._resubscribe())

    def _down(self) -> None:
        self._link = None
        self._up.clear()
        if self._subscriber is not None:
            self._subscriber.cancel()
            self._subscriber = None
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(LinkClosed("the link dropped before the reply"))
        if self.state is not LinkState.AUTH_FAILED:
            self._set_state(LinkState.DISCONNECTED)

    async def _resubscribe(self) -> None:
        try:
            result = await self.subscribe(self.events)
        except PbxCommandError as exc:  # the PBX refused: reconnecting would not change that
            logger.warning("subscribe failed: %s", exc)
            return
        except PbxError as exc:  # no answer: a link that delivers no events is no link at all
            link = self._link
            if not self._closed and link is not None:
                logger.warning("subscribe failed (%s); reconnecting", exc)
                await link.ws.close()
            return
        missing = [k for k, v in self.events.items() if v and result.get(k) is not True]
        if missing:
            logger.warning("the PBX did not enable event groups: %s", ", ".join(missing))

    # --- incoming events ------------------------------------------------------------------------

    async def _dispatch(self, packet: sio.Packet) -> None:
        if packet.type != sio.EVENT:
            if packet.type == sio.CONNECT and not packet.endpoint and self._opening is not None:
                self._up_with(self._opening)
            return
        name = packet.name
        payload = packet.args[0] if packet.args else None
        if name == "callback":
            self._resolve(payload)
            return
        self.events_in += 1
        try:
            event = parse_event(name, payload)
        except MalformedEvent as exc:
            self.malformed_events += 1
            logger.warning("dropped a malformed %r event: %s", name, exc.reason)
            return
        try:
            await self._on_event(event)
        except Exception:
            logger.exception("on_event failed for a %r event", name)

    def _resolve(self, payload: Any) -> None:
        key = payload.get("hash") if isinstance(payload, dict) else None
        fut = self._pending.pop(key, None) if isinstance(key, str) else None
        if fut is None:
            logger.debug("ignored a late or unknown callback (hash %r)", key)
        elif not fut.done():
            fut.set_result(payload)

    # --- commands -------------------------------------------------------------------------------

    async def _command(self, name: str, data: dict[str, Any]) -> Any:
        if not self._up.is_set() and not await self.wait_connected(self.command_timeout):
            raise PbxUnavailable(f"{name}: the PBX link stayed down for {self.command_timeout:g} s")
        link = self._link
        if link is None:
            raise PbxUnavailable(f"{name}: the PBX link is down")
        hash_ = cmd.new_hash(self._pending)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[hash_] = fut
        try:
            frame = sio.event(name, {**data, "callback_hash": hash_})
            reply = await send_and_wait(name, link.send(frame), fut, self.command_timeout)
        finally:
            self._pending.pop(hash_, None)
        return cmd.check_reply(name, reply)
