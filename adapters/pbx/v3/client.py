"""``SocketClient``: the onlinePBX WebSockets API 3.0, reconnecting forever.

Strategy: :meth:`SocketClient.run` loops open -> subscribe -> serve -> backoff, like the 2.0
client; the link counts as up once ``subscribe`` is answered (which also proves the key). Each
command carries a fresh ``reqId``; :class:`.wire.Pending` pairs replies with commands (by name
when ``reqId`` is missing). Group names are tried snake_case first, camelCase if refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import aiohttp

from adapters.pbx.reconnect import LinkState, Reconnecting
from adapters.pbx.v2.transport import LinkClosed
from adapters.pbx.v3 import wire
from adapters.pbx.v3.commands import V3Commands
from adapters.pbx.v3.link import Link, open_link
from adapters.pbx.v3.parse import is_gateway_event, parse_v3
from bot.backoff import Backoff
from bot.errors import (
    MalformedEvent,
    PbxError,
    ProtocolError,
)
from bot.events import PbxEvent

logger = logging.getLogger(__name__)
GATEWAY_LOGGED = 5  # gateway payloads logged at INFO (their shape is not known yet)

__all__ = ["LinkState", "SocketClient"]


class SocketClient(V3Commands, Reconnecting):
    """Implements :class:`bot.ports.PbxApi` for 3.0 (transfer, bridge, hangup); run :meth:`run`."""

    def __init__(
        self, url: str, key: str, *, domain: str = "", events: Mapping[str, bool] | None = None,
        on_event: Callable[[PbxEvent], Awaitable[None]],
        on_state: Callable[[LinkState], None] | None = None, command_timeout: float = 10.0,
        ping_interval: float = 25.0, dead_after: float = 60.0, max_frame: int = 1 << 20,
        group_styles: tuple[str, ...] = ("snake", "camel"), backoff: Backoff | None = None,
        auth_backoff: Backoff | None = None, stable_after: float = 30.0,
    ) -> None:
        self.url, self.domain, self._key = url, domain, key
        self.events = dict(events or {"calls": True, "blf": True, "registration": True})
        self._on_event = on_event
        self.command_timeout, self.ping_interval, self.dead_after = command_timeout, ping_interval, dead_after
        self.max_frame, self.group_styles = max_frame, list(group_styles)
        self._init_loop(on_state, backoff, auth_backoff, stable_after)
        self.events_in = self.malformed_events = self.protocol_errors = 0
        self.gateway_events = self.unknown_events = 0
        self._pending = wire.Pending()
        self._futures: dict[str, asyncio.Future[wire.Frame]] = {}
        self._link: Link | None = None

    # --- public state -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    # --- the connection loop ------------------------------------------------------------------

    async def close(self) -> None:
        """Stop :meth:`run` and end the session; in-flight commands fail."""
        self._closed = True
        self._stop.set()
        if self._link is not None:
            await self._link.ws.close()

    async def _session(self, session: aiohttp.ClientSession) -> None:
        link = await open_link(session, self.url, self._key, ping_interval=self.ping_interval,
                               dead_after=self.dead_after, max_frame=self.max_frame)
        self._link = link
        tasks = [asyncio.create_task(link.watch()), asyncio.create_task(self._subscribe_then_up(link))]
        try:
            if not self._closed:
                await link.serve(self._on_text, self._on_odd)
        finally:
            for task in tasks:
                task.cancel()
            await link.ws.close()

    def _down(self) -> None:
        self._link = None
        self._up.clear()
        for fut in self._futures.values():
            if not fut.done():
                fut.set_exception(LinkClosed("the link dropped before the reply"))
        if self.state is not LinkState.AUTH_FAILED:
            self._set_state(LinkState.DISCONNECTED)

    async def _subscribe_then_up(self, link: Link) -> None:
        try:
            groups = await self.subscribe(self.events)
        except wire.PbxErrorEvent as exc:
            if exc.refused_key:
                await link.refuse(f"the PBX refused the API key ({exc.event}: {exc.message[:80]})")
                return
            logger.warning("subscribe refused (%s); no events will arrive", exc)
        except PbxError as exc:  # no answer: a link that delivers no events is no link at all
            if not self._closed:
                logger.warning("subscribe failed (%s); reconnecting", exc)
                await link.ws.close()
            return
        else:
            missing = [g for g, on in groups.items() if not on]
            if missing:
                logger.warning("the PBX did not enable event groups: %s", ", ".join(missing))
        self.auth_backoff.reset()
        self._up.set()
        self._mark_up()
        logger.info("PBX link up (API 3.0, domain %s)", self.domain or "?")

    # --- incoming frames ------------------------------------------------------------------------

    def _on_odd(self, kind: str) -> None:
        self.protocol_errors += 1
        logger.warning("skipped a non-text WebSocket message (%s)", kind)

    async def _on_text(self, text: str) -> None:
        try:
            frame = wire.decode(text)
        except ProtocolError as exc:
            self.protocol_errors += 1
            logger.warning("skipped a bad frame: %s (starts %r)", exc, text[:60])
            return
        if wire.is_reply(frame):
            self._on_reply(frame)
        else:
            await self._on_pbx_event(frame)

    def _on_reply(self, frame: wire.Frame) -> None:
        req_id = self._pending.match(frame)
        fut = self._futures.get(req_id) if req_id is not None else None
        if fut is not None and not fut.done():
            fut.set_result(frame)
        elif frame.is_error and wire.refused_key(frame) and self._link is not None:
            words = f"the PBX refused the API key ({frame.event}: {frame.message[:80]})"
            asyncio.get_running_loop().create_task(self._link.refuse(words))
        elif frame.is_error:
            logger.warning("the PBX reported %s: %s", frame.event, frame.message[:120])
        else:
            logger.debug("ignored a late or unknown %r reply", frame.event)

    async def _on_pbx_event(self, frame: wire.Frame) -> None:
        """Parse and hand over one event (awaited: a slow consumer back-pressures the link)."""
        self.events_in += 1
        if is_gateway_event(frame.event):
            self.gateway_events += 1
            if self.gateway_events <= GATEWAY_LOGGED:
                logger.info("gateway event %r: %.300s", frame.event, frame.data)
            return
        try:
            event = parse_v3(frame.event, frame.data)
        except MalformedEvent as exc:
            self.malformed_events += 1
            logger.warning("dropped a malformed %r event: %s", frame.event, exc.reason)
            return
        try:
            await self._on_event(event)
        except Exception:
            logger.exception("on_event failed for a %r event", frame.event)
