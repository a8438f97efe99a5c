"""One Socket.IO 0.9 websocket session of the simulator: send queue, subscriptions, heartbeats.

Strategy: mirrors socket.io@0.9.19's transport timers: ``2::`` goes out ``heartbeat_interval``
after the last answer, and a client that does not answer within ``heartbeat_timeout`` is
dropped (the socket is closed, no ``0::``, as the stock server does).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets

from aiohttp import web

from adapters.pbx.v2.socketio09 import HEARTBEAT_PACKET, Packet, encode

logger = logging.getLogger(__name__)


def new_sid() -> str:
    """A session id shaped like 0.9.19's (15 random bytes, URL-safe base64, 20 characters)."""
    return base64.b64encode(secrets.token_bytes(15)).decode().replace("/", "_").replace("+", "-")


def group_of(name: str) -> str:
    """The subscription group an event belongs to (``calls`` for every ``channel_*``)."""
    if name.startswith("channel_"):
        return "calls"
    return {"message": "messages", "blf": "blf", "registration": "registration"}.get(name, name)


class Session:
    """A connected client: its websocket, its subscription map and its heartbeat bookkeeping."""

    def __init__(self, sid: str, ws: web.WebSocketResponse, heartbeat_interval: float,
                 heartbeat_timeout: float) -> None:
        self.sid = sid
        self.ws = ws
        self.subs: dict[str, bool] = {}
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.heartbeats_sent = 0
        self.heartbeats_answered = 0
        self.dropped_reason = ""
        self.frozen = False  # a silent link: nothing goes out, what comes in is ignored
        self._answered = asyncio.Event()
        self._lock = asyncio.Lock()

    def wants(self, name: str) -> bool:
        """Only subscribed groups are delivered; before any ``subscribe`` nothing is."""
        return self.subs.get(group_of(name), False)

    async def send(self, packet: Packet) -> bool:
        """Send one packet; False if the socket is already closing."""
        if self.ws.closed:
            return False
        if self.frozen:
            return True
        async with self._lock:
            try:
                await self.ws.send_str(encode(packet))
            except (ConnectionError, RuntimeError) as exc:
                logger.debug("session %s: send failed: %s", self.sid, exc)
                return False
        return True

    def on_heartbeat(self) -> None:
        self.heartbeats_answered += 1
        self._answered.set()

    async def heartbeat_loop(self) -> None:
        """Runs for the life of the session; closes the socket when a heartbeat goes unanswered."""
        while not self.ws.closed:
            await asyncio.sleep(self.heartbeat_interval)
            if self.frozen:
                continue
            self._answered.clear()
            if not await self.send(HEARTBEAT_PACKET):
                return
            self.heartbeats_sent += 1
            try:
                await asyncio.wait_for(self._answered.wait(), self.heartbeat_timeout)
            except TimeoutError:
                if self.frozen:
                    continue  # the answer was swallowed by the freeze, not lost by the client
                logger.info("session %s: heartbeat timeout, dropping the client", self.sid)
                self.dropped_reason = "heartbeat timeout"
                await self.close()
                return

    async def close(self) -> None:
        if not self.ws.closed:
            await self.ws.close()
