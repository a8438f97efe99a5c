"""aiohttp driver of one Socket.IO 0.9 session: handshake, WebSocket, heartbeats, watchdog.

Strategy: a thin loop around the sans-I/O codec (:mod:`socketio09`) and heartbeat monitor
(:mod:`heartbeat`). It echoes ``2::``, skips undecodable frames with one log line, and ends the
session (:class:`LinkClosed`) on silence, ``7:::1+0``, a disconnect packet or a closed socket.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp

from adapters.pbx.v2 import socketio09 as sio
from adapters.pbx.v2.heartbeat import HeartbeatMonitor
from bot.errors import AuthenticationError, HandshakeError, PbxError, ProtocolError
from bot.logsetup import Redactor

logger = logging.getLogger(__name__)

_TEXT = aiohttp.WSMsgType.TEXT
_MARK = "\ufffd"  # starts a multi-packet payload
_CONTROL = frozenset((sio.HEARTBEAT, sio.ERROR, sio.DISCONNECT))


class LinkClosed(PbxError):
    """The session ended (server disconnect, dead link, ``7:::1+0``): reconnect with a new one."""


@dataclass
class LinkStats:
    """Counters shared by every session of one client (for metrics)."""

    protocol_errors: int = 0


def redact(url: str) -> str:
    """``url`` without its query string (which carries the key)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "<redacted>" if parts.query else "", ""))


def _scrub(text: str, secret: str) -> str:
    """``text`` with ``secret`` masked in every encoding a URL or a JSON body may give it."""
    return Redactor([secret])(text) if secret else text


def ws_url(base_url: str, sid: str, domain: str, key: str) -> str:
    """``{ws-base}/socket.io/1/websocket/SID?key=…&domain=…`` (wss for an https base)."""
    base = base_url.rstrip("/")
    scheme, _, rest = base.partition("://")
    ws_scheme = "wss" if scheme == "https" else "ws"
    return f"{ws_scheme}://{rest}/socket.io/1/websocket/{sid}?" + urlencode({"key": key, "domain": domain})


async def handshake(
    session: aiohttp.ClientSession, base_url: str, domain: str, key: str, *, limit_s: float = 15.0
) -> sio.Handshake:
    """``GET {base}/socket.io/1/``. 403 -> AuthenticationError, anything else -> HandshakeError."""
    url = base_url.rstrip("/") + "/socket.io/1/"
    params = {"key": key, "domain": domain, "t": str(int(time.time() * 1000))}
    try:
        async with session.get(url, params=params, timeout=aiohttp.ClientTimeout(total=limit_s),
                               allow_redirects=False) as resp:  # a redirect would carry the key away
            status, body = resp.status, await resp.text()
    except (aiohttp.ClientError, TimeoutError, OSError, UnicodeDecodeError) as exc:
        reason = _scrub(str(exc), key)[:120] or type(exc).__name__
        raise HandshakeError(f"handshake with {url} failed: {reason}") from None
    if status == 403:
        raise AuthenticationError(f"the PBX refused the API key for domain {domain!r} (HTTP 403)")
    if status != 200:
        raise HandshakeError(f"handshake with {url} answered HTTP {status}: {_scrub(body, key)[:60]!r}")
    try:
        answer = sio.parse_handshake(body)
    except ProtocolError as exc:
        raise HandshakeError(str(exc)) from None
    if "websocket" not in answer.transports:
        raise HandshakeError(f"the server offers no websocket transport: {answer.transports}")
    return answer


class Link:
    """One open session: :meth:`serve` hands over everything but heartbeats, errors and
    disconnects; :meth:`send`."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, answer: sio.Handshake, stats: LinkStats, max_frame: int
    ) -> None:
        self.ws = ws
        self.stats = stats
        self._decoder = sio.PayloadDecoder(max_frame)
        self._max_frame = max_frame
        self._loop = asyncio.get_running_loop()
        self._monitor = HeartbeatMonitor(answer.heartbeat_timeout, self._loop.time())
        self._dead = ""

    async def send(self, packet: sio.Packet) -> None:
        await self.ws.send_str(sio.encode(packet))

    async def serve(self, handle: Callable[[sio.Packet], Awaitable[object]]) -> None:
        """Await ``handle`` with every packet but heartbeats, errors and disconnects, in order,
        until the session ends (:class:`LinkClosed`)."""
        watchdog = asyncio.create_task(self._watch())
        try:
            while True:
                for packet in await self._batch():
                    if packet.type in _CONTROL:
                        await self._control(packet)
                    else:
                        await handle(packet)
        finally:
            watchdog.cancel()

    async def _batch(self) -> list[sio.Packet]:
        """The packets of the next WebSocket message (none for a skipped one)."""
        msg = await self.ws.receive()
        if msg.type is not _TEXT:
            self._not_text(msg)
            return []
        self._monitor.received(self._loop.time())
        text: str = msg.data
        if text and text[0] != _MARK and not self._decoder.buffered:
            try:  # one whole frame (the usual case): no payload framing to look for
                return [sio.decode(text, self._max_frame)]
            except ProtocolError as exc:
                self._skip(exc, text)
                return []
        return self._decode(text)

    async def _control(self, packet: sio.Packet) -> None:
        if packet.type == sio.HEARTBEAT:
            await self.ws.send_str("2::")
        else:
            self._end(packet)

    def _not_text(self, msg: aiohttp.WSMessage) -> None:
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
            raise LinkClosed(self._dead or "the server closed the WebSocket")
        if msg.type is aiohttp.WSMsgType.ERROR:
            raise LinkClosed(f"WebSocket error: {msg.data!r}"[:120])
        self.stats.protocol_errors += 1
        logger.warning("skipped a non-text WebSocket message (%s)", msg.type.name)

    def _decode(self, text: str) -> list[sio.Packet]:
        out: list[sio.Packet] = []
        while True:
            try:
                return out + self._decoder.feed(text)
            except ProtocolError as exc:
                self._skip(exc, text)
                text = ""

    def _skip(self, exc: ProtocolError, text: str) -> None:
        self.stats.protocol_errors += 1
        logger.warning("skipped a bad frame: %s (starts %r)", exc, text[:60])

    def _end(self, packet: sio.Packet) -> None:
        if packet.type == sio.DISCONNECT:
            if packet.endpoint:
                return  # a namespace left; the PBX API lives on the main endpoint only
            raise LinkClosed("the server ended the session")
        text = sio.error_text(packet)
        reason, _, advice = str(packet.data).partition("+")
        if packet.endpoint or (advice != "0" and reason not in ("1", "2")):
            logger.warning("the server reported an error: %s", text)
            return
        raise LinkClosed(f"the server reported: {text}")

    async def _watch(self) -> None:
        while True:
            wait = self._monitor.remaining(self._loop.time())
            if wait is None:
                return
            await asyncio.sleep(wait + 0.01)
            if self._monitor.is_dead(self._loop.time()):
                self._dead = f"no frame for {self._monitor.timeout:g} s: the link is dead"
                await self.ws.close()
                return


async def open_link(
    session: aiohttp.ClientSession,
    base_url: str,
    domain: str,
    key: str,
    answer: sio.Handshake,
    stats: LinkStats,
    max_frame: int = sio.DEFAULT_MAX_FRAME,
) -> Link:
    """Open the WebSocket of session ``answer.sid``; failures -> HandshakeError (key scrubbed)."""
    url = ws_url(base_url, answer.sid, domain, key)
    try:
        ws = await session.ws_connect(
            url, max_msg_size=4 * max_frame + 64, timeout=aiohttp.ClientWSTimeout(ws_close=2.0)
        )
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        reason = _scrub(str(exc), key)[:160] or type(exc).__name__
        raise HandshakeError(f"WebSocket {redact(url)} failed: {reason}") from None
    return Link(ws, answer, stats, max_frame)
