"""One 3.0 WebSocket session: open it (the key refused at the upgrade?), read frames, keep it alive.

Strategy: a thin aiohttp driver. ``autoping`` is off so every ping, pong and frame counts as life;
:meth:`Link.watch` pings every ``ping_interval`` and closes the socket when nothing (not even a
pong) came for ``dead_after`` seconds. A close frame whose code or reason says "refused" is an
:class:`AuthenticationError`, any other end is :class:`LinkClosed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp

from adapters.pbx.v2.transport import LinkClosed, _scrub, redact
from adapters.pbx.v3 import wire
from bot.errors import AuthenticationError, HandshakeError

logger = logging.getLogger(__name__)
_ENDED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


def ws_url(base_url: str, key: str) -> str:
    """``wss://DOMAIN:3342/?key=KEY`` from the configured base (http(s) bases become ws(s))."""
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path or "/", urlencode({"key": key}), ""))


class Link:
    """An open 3.0 WebSocket: :meth:`frames` yields text frames, :meth:`send` writes one."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, ping_interval: float, dead_after: float) -> None:
        self.ws = ws
        self.ping_interval, self.dead_after = ping_interval, dead_after
        self._loop = asyncio.get_running_loop()
        self.last_rx = self._loop.time()
        self.ended_by = ""  # why we closed it ourselves (dead link, refused key)
        self.refused = ""  # the PBX refused the key: its words

    async def send(self, text: str) -> None:
        await self.ws.send_str(text)

    async def serve(self, on_text: Callable[[str], Awaitable[None]], on_odd: Callable[[str], None]) -> None:
        """Await ``on_text`` with every text frame, in order, until the socket ends (always raises)."""
        while True:
            msg = await self.ws.receive()
            self.last_rx = self._loop.time()
            if msg.type is aiohttp.WSMsgType.TEXT:
                await on_text(msg.data)
            elif msg.type is aiohttp.WSMsgType.PING:
                await self.ws.pong(msg.data)
            elif msg.type in _ENDED:
                self._ended(msg)
            elif msg.type is aiohttp.WSMsgType.ERROR:
                raise LinkClosed(self.ended_by or f"WebSocket error: {msg.data!r}"[:120])
            elif msg.type is not aiohttp.WSMsgType.PONG:
                on_odd(msg.type.name)

    def _ended(self, msg: aiohttp.WSMessage) -> None:
        if self.refused:
            raise AuthenticationError(self.refused)
        code = msg.data if msg.type is aiohttp.WSMsgType.CLOSE else self.ws.close_code
        reason = msg.extra if msg.type is aiohttp.WSMsgType.CLOSE and isinstance(msg.extra, str) else ""
        if not self.ended_by and wire.refused_by_close(code, reason):
            raise AuthenticationError(f"the PBX refused the API key (close code {code}: {reason[:60]!r})")
        raise LinkClosed(self.ended_by or f"the server closed the WebSocket (code {code})")

    async def refuse(self, words: str) -> None:
        """The PBX said the key is wrong: end the session as an authentication failure."""
        self.refused = words
        await self.ws.close()

    async def watch(self) -> None:
        """Ping every ``ping_interval``; close the socket after ``dead_after`` s of silence."""
        next_ping = self._loop.time() + self.ping_interval
        while not self.ws.closed:
            now = self._loop.time()
            deadline = self.last_rx + self.dead_after
            if now >= deadline:
                self.ended_by = f"no frame or pong for {self.dead_after:g} s: the link is dead"
                await self.ws.close()
                return
            if now >= next_ping:
                next_ping = now + self.ping_interval
                try:
                    await self.ws.ping()
                except (ConnectionError, RuntimeError):
                    return
            await asyncio.sleep(max(0.01, min(deadline, next_ping) - now))


async def open_link(
    session: aiohttp.ClientSession, base_url: str, key: str, *, ping_interval: float, dead_after: float,
    max_frame: int, limit_s: float = 15.0,
) -> Link:
    """Open the socket; 401/403 at the upgrade -> AuthenticationError, else HandshakeError."""
    url = ws_url(base_url, key)
    try:
        connecting = session.ws_connect(
            url, autoping=False, max_msg_size=max_frame, timeout=aiohttp.ClientWSTimeout(ws_close=2.0))
        ws = await asyncio.wait_for(connecting, limit_s)
    except aiohttp.WSServerHandshakeError as exc:
        if exc.status in (401, 403):
            raise AuthenticationError(
                f"the PBX refused the API key at {redact(url)} (HTTP {exc.status} at the upgrade)") from None
        raise HandshakeError(f"WebSocket {redact(url)} answered HTTP {exc.status}") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        reason = _scrub(str(exc), key)[:160] or type(exc).__name__
        raise HandshakeError(f"WebSocket {redact(url)} failed: {reason}") from None
    return Link(ws, ping_interval, dead_after)
