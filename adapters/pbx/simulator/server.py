"""PbxSimulator: an aiohttp server that speaks socket.io@0.9.19's websocket wire like onlinePBX.

Strategy: HTTP handshake and the websocket loop are thin drivers around the sans-I/O codec
(:mod:`adapters.pbx.v2.socketio09`); events come from :class:`.engine.Engine` (traffic, scenarios,
commands) and go only to sessions subscribed to their group: a socket that has not sent
``subscribe`` receives no events at all (only ``1::``, heartbeats and its own callbacks).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from adapters.pbx.simulator.commands import Commands
from adapters.pbx.simulator.engine import Engine, now_ms
from adapters.pbx.simulator.history import HistoryRecorder
from adapters.pbx.simulator.http_api import SimHttpApi
from adapters.pbx.simulator.legs import Payload
from adapters.pbx.simulator.roster import Roster
from adapters.pbx.simulator.scenario import OUTAGE_EVENT, Scenario, compile_scenario
from adapters.pbx.simulator.session import Session, new_sid
from adapters.pbx.simulator.traffic import TrafficPlanner, call_loop, phone_loop
from adapters.pbx.v2.socketio09 import (
    ACK,
    CONNECT_PACKET,
    DISCONNECT,
    DISCONNECT_PACKET,
    EVENT,
    HEARTBEAT,
    Handshake,
    Packet,
    decode,
    event,
    format_handshake,
)
from bot.errors import ProtocolError

logger = logging.getLogger(__name__)
EMITTED_KEPT = 10_000
COMMANDS_KEPT = 10_000


class PbxSimulator:
    """A fake onlinePBX domain on 127.0.0.1: handshake, websocket, commands, events, traffic."""

    api_label = ""  # in the "listening" log line: "" for 2.0, " (API 3.0)" for the 3.0 subclass

    def __init__(self, domain: str, key: str, *, seed: int = 0, rate_per_min: float = 0.0,
                 roster: Roster | None = None, heartbeat_interval: float = 25.0,
                 heartbeat_timeout: float = 60.0, close_timeout: float = 60.0,
                 time_scale: float = 1.0) -> None:
        self.domain, self._key = domain, key
        self.seed, self.rate_per_min, self.time_scale = seed, rate_per_min, time_scale
        self.roster = roster or Roster.default()
        self.heartbeat_interval, self.heartbeat_timeout = heartbeat_interval, heartbeat_timeout
        self.close_timeout = close_timeout
        self.engine = Engine(domain, self.roster, self._broadcast, seed=seed, time_scale=time_scale)
        self.commands = Commands(self.engine, self.emit)
        #: the HTTP API (same app and port): call history of every played call, users, click-to-call
        self.history = HistoryRecorder(domain)
        self.engine.on_start = self.history.on_start
        self.http_api = SimHttpApi(domain, key, self.engine, self.history)
        self.outage_until = 0.0  # monotonic: handshakes are refused until then (see outage())
        #: the most recent commands received (bounded like ``emitted``); ``commands_total`` counts all
        self.commands_received: deque[tuple[str, dict[str, Any]]] = deque(maxlen=COMMANDS_KEPT)
        self.commands_total = 0
        #: the most recent events emitted (bounded: a long soak must not grow without limit);
        #: ``emitted_total`` counts every one
        self.emitted: deque[tuple[str, Payload]] = deque(maxlen=EMITTED_KEPT)
        self.emitted_total = 0
        self.events_sent = 0  # event frames actually written to sockets (callbacks excluded)
        self.sessions: dict[str, Session] = {}
        self.handshakes = 0
        self._handshaken: dict[str, float] = {}  # sid -> monotonic time the handshake was issued
        self._changed = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self.host, self.port = "127.0.0.1", 0
        for ext in self.roster.extensions:  # phones that were registered before we started
            if ext.online:
                self.engine.book.register({"uid": ext.num, "agent": ext.agent, "state": "register",
                                           "ip": ext.ip, "port": ext.port, "expires": 3600})

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (0 = ephemeral) and start traffic; returns the actual port."""
        app = web.Application()
        self._add_socket_routes(app)
        self.http_api.add_routes(app)  # the HTTP API (history, users, click-to-call) on the same port
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.host, self.port = host, int(self._runner.addresses[0][1])
        self._start_traffic()
        logger.info("PBX simulator%s for %s listening on %s", self.api_label, self.domain, self.url)
        return self.port

    def _add_socket_routes(self, app: web.Application) -> None:
        """The socket API's routes (API 2.0: the Socket.IO 0.9 handshake and WebSocket)."""
        app.router.add_get("/socket.io/1/", self._handshake)
        app.router.add_get("/socket.io/1", self._handshake)  # 0.9.19 accepts both
        app.router.add_get("/socket.io/1/websocket/{sid}", self._websocket)

    def _start_traffic(self) -> None:
        """Random calls and phone re-registrations, when ``rate_per_min`` asks for them."""
        if self.rate_per_min > 0:
            planner = TrafficPlanner(self.roster, self.seed)
            self._tasks.append(asyncio.create_task(call_loop(self.engine, planner, self.rate_per_min)))
            self._tasks += [asyncio.create_task(phone_loop(self.engine, planner, e))
                            for e in self.roster.extensions if e.online]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def http_url(self) -> str:
        """Where the HTTP API is served (``ONPBX_HTTP_URL``): the same port."""
        return f"http://{self.host}:{self.port}"

    @property
    def connected_clients(self) -> int:
        return len(self.sessions)

    async def stop(self) -> None:
        """Stop traffic, end every session and close the listener."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.engine.stop()
        await self.drop_connections()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def drop_connections(self, *, send_disconnect: bool = False) -> None:
        """Close every session server-side. With ``send_disconnect`` a ``0::`` goes first, which a
        0.9 client treats as "booted" and does NOT reconnect from; without it, it reconnects."""
        for session in list(self.sessions.values()):
            if send_disconnect:
                await session.send(DISCONNECT_PACKET)
            await session.close()

    async def outage(self, seconds: float) -> None:
        """Drop every socket and refuse handshakes for ``seconds`` while calls keep playing (and
        keep landing in the call history): a gap played on purpose."""
        self.outage_until = time.monotonic() + seconds
        logger.info("socket outage for %.1f s", seconds)
        await self.drop_connections()

    def freeze(self, frozen: bool = True) -> None:
        """Make every current link silent (no heartbeats, no events, input ignored) without
        closing it, as a dead NAT or a hung PBX would; ``freeze(False)`` brings it back."""
        for session in self.sessions.values():
            session.frozen = frozen

    # --- events ---------------------------------------------------------------------------------
    async def emit(self, name: str, payload: Payload) -> None:
        """Emit one raw event as the PBX would (it also updates the simulated state)."""
        await self.engine.emit(name, payload)

    async def play(self, scenario: Scenario, *, wait: bool = False) -> None:
        """Start a scenario (its steps are timed from now); ``wait`` returns when it has played."""
        plans = compile_scenario(scenario, self.roster, self.domain, self.engine.rng, now_ms())
        runs = [self.engine.start(steps) for steps in plans]
        if wait:
            await asyncio.gather(*(r.task for r in runs if r.task), return_exceptions=True)

    async def _broadcast(self, name: str, payload: Payload) -> None:
        if name == OUTAGE_EVENT:  # a scenario's "outage" step, not a PBX event
            await self.outage(float(payload.get("seconds", 0)))
            return
        self.history.observe(name, payload)
        self.emitted.append((name, payload))
        self.emitted_total += 1
        packet = event(name, payload)
        for session in list(self.sessions.values()):
            if session.wants(name) and not session.frozen and await session.send(packet):
                self.events_sent += 1
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds (re-checked after every event, command, heartbeat answer
        and connection change).
        Wrap it in ``asyncio.timeout`` yourself."""
        async with self._changed:
            await self._changed.wait_for(predicate)

    async def wait_emitted(self, n: int) -> None:
        """Wait until at least ``n`` events have been emitted in total (``emitted_total``)."""
        await self.wait_for(lambda: self.emitted_total >= n)

    async def wait_sent(self, n: int) -> None:
        """Wait until at least ``n`` event frames have been written to subscribed sockets."""
        await self.wait_for(lambda: self.events_sent >= n)

    async def wait_clients(self, n: int) -> None:
        """Wait until at least ``n`` clients are connected."""
        await self.wait_for(lambda: self.connected_clients >= n)

    # --- HTTP -----------------------------------------------------------------------------------
    async def _handshake(self, request: web.Request) -> web.Response:
        headers = {}
        if origin := request.headers.get("Origin"):
            headers = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}
        if time.monotonic() < self.outage_until:
            return web.Response(status=503, text="PBX unavailable (simulated outage)", headers=headers)
        q = request.query
        if q.get("key") != self._key or q.get("domain") != self.domain:
            logger.info("handshake unauthorized (domain %r)", q.get("domain", ""))
            return web.Response(status=403, text="handshake unauthorized", headers=headers)
        sid = new_sid()
        self._expire_handshakes()
        self._handshaken[sid] = time.monotonic()
        self.handshakes += 1
        body = format_handshake(Handshake(sid, self.heartbeat_timeout, self.close_timeout, ("websocket",)))
        return web.Response(text=body, headers=headers)

    @property
    def pending_handshakes(self) -> int:
        """Sids handed out whose websocket has not ended (connected or still expected)."""
        return len(self._handshaken)

    def _expire_handshakes(self) -> None:
        """Forget sids whose websocket never came within ``close_timeout`` (as socket.io 0.9 does)."""
        horizon = time.monotonic() - self.close_timeout
        for sid in [s for s, at in self._handshaken.items() if at < horizon and s not in self.sessions]:
            del self._handshaken[sid]

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        sid = request.match_info["sid"]
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._expire_handshakes()
        if sid not in self._handshaken or sid in self.sessions:
            await ws.send_str("7:::1+0")  # client not handshaken, reconnect
            await ws.close()
            return ws
        session = Session(sid, ws, self.heartbeat_interval, self.heartbeat_timeout)
        self.sessions[sid] = session
        await session.send(CONNECT_PACKET)
        await self._notify()
        beat = asyncio.create_task(session.heartbeat_loop())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame_safely(session, msg.data)
        finally:
            beat.cancel()
            self.sessions.pop(sid, None)
            self._handshaken.pop(sid, None)
            await self._notify()
        return ws

    async def _on_frame_safely(self, session: Session, text: str) -> None:
        try:
            await self._on_frame(session, text)
        except Exception:  # one bad frame must not end the session
            logger.exception("session %s: failed to handle a frame of %d characters", session.sid, len(text))

    async def _on_frame(self, session: Session, text: str) -> None:
        if session.frozen:
            return
        try:
            packet = decode(text)
        except ProtocolError as exc:
            logger.warning("session %s: dropped a bad frame: %s", session.sid, exc)
            return
        if packet.type == HEARTBEAT:
            session.on_heartbeat()
            await self._notify()
        elif packet.type == DISCONNECT and not packet.endpoint:
            await session.send(DISCONNECT_PACKET)
            await session.close()
        elif packet.type == EVENT:
            if packet.id and not packet.ack_data:
                await session.send(Packet(ACK, ack_id=packet.id))
            await self._on_command(session, packet)

    async def _on_command(self, session: Session, packet: Packet) -> None:
        data = packet.args[0] if packet.args and isinstance(packet.args[0], dict) else {}
        self.commands_received.append((packet.name, data))
        self.commands_total += 1
        try:
            reply = await self.commands.handle(packet.name, data, session.subs)
        except KeyError:
            logger.info("session %s: ignored unknown event %r", session.sid, packet.name)
            await self._notify()
            return
        callback_hash = data.get("callback_hash")
        if isinstance(callback_hash, str) and callback_hash:
            await session.send(event("callback", {**reply, "hash": callback_hash}))
        if packet.ack_data:
            await session.send(Packet(ACK, ack_id=packet.id, args=(reply,)))
        await self._notify()
