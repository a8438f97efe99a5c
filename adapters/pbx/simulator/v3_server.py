"""``PbxSimulatorV3``: the same simulated PBX (roster, scenarios, traffic, commands) on API 3.0.

Strategy: it reuses :class:`.server.PbxSimulator`'s engine and commands and replaces only the
wire: a plain WebSocket at ``/?key=KEY``, JSON frames, events translated by :mod:`.v3_wire`.
:class:`V3Knobs` picks a reading for each point the contract only infers (stamp unit, reqId
echo, group spelling, how a bad key is refused); tests drive every variant.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import WSMsgType, web

from adapters.pbx.simulator.engine import now_ms
from adapters.pbx.simulator.legs import Payload
from adapters.pbx.simulator.scenario import OUTAGE_EVENT
from adapters.pbx.simulator.server import PbxSimulator
from adapters.pbx.simulator.v3_wire import V3Translator

logger = logging.getLogger(__name__)
GROUPS = ("calls", "user_blf", "user_registration", "gateway")


def _transfer(d: Payload) -> Payload:
    return {"uuid": d.get("uuid"), "to": d.get("to"), "gate_to": d.get("gateway_id")}


def _bridge(d: Payload) -> Payload:
    uuids = d.get("uuids")
    pair = uuids if isinstance(uuids, list) and len(uuids) == 2 else [None, None]
    return {"uuid": pair[0], "to_uuid": pair[1]}


def _hangup(d: Payload) -> Payload:
    return {"uuid": d.get("uuid")}


#: 3.0 command -> (2.0 command the engine knows, reply event, data reshaper)
_COMMANDS: dict[str, tuple[str, str, Callable[[Payload], Payload]]] = {
    "transfer": ("transfer", "transferred", _transfer),
    "bridge": ("bridge", "bridged", _bridge),
    "hangup_channel": ("hangup_call", "hangup_channel", _hangup),
}


def group_of(name: str) -> str:
    if name.startswith("channel_") or name == "call_end":
        return "calls"
    return "gateway" if name.startswith("gateway") else name


@dataclass
class V3Knobs:
    """One reading of each inferred point of the 3.0 contract."""

    stamp_unit: Literal["s", "ms", "us"] = "s"
    echo_req_id: bool = True
    group_names: Literal["snake", "camel", "any"] = "snake"  # the spelling accepted
    bad_key: Literal["upgrade", "close", "event"] = "upgrade"  # how a wrong key is refused


class V3Session:
    """One connected 3.0 client."""

    def __init__(self, sid: str, ws: web.WebSocketResponse) -> None:
        self.sid, self.ws = sid, ws
        self.subs: set[str] = set()
        self.frozen = False
        self.pings_answered = 0
        self._lock = asyncio.Lock()

    def wants(self, name: str) -> bool:
        return group_of(name) in self.subs

    async def send(self, obj: Payload | str) -> bool:
        if self.ws.closed:
            return False
        if self.frozen:
            return True
        text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
        async with self._lock:
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return False
        return True

    async def close(self) -> None:
        if not self.ws.closed:
            await self.ws.close()


class PbxSimulatorV3(PbxSimulator):
    """A fake onlinePBX domain speaking WebSockets API 3.0 on 127.0.0.1."""

    api_label = " (API 3.0)"

    def __init__(self, domain: str, key: str, *, knobs: V3Knobs | None = None, **kw: Any) -> None:
        super().__init__(domain, key, **kw)
        self.knobs = knobs or V3Knobs()
        book = self.engine.book
        self.wire = V3Translator(
            self.roster, stamp_unit=self.knobs.stamp_unit, clock_ms=now_ms,
            owner_of=lambda u: book.channels[u].owner if u in book.channels else None,
            owned_by=book.owned_by)
        self.emitted3: list[tuple[str, Payload]] = []  # every 3.0 event sent (tests read it)
        self.sessions3: dict[str, V3Session] = {}
        self.req_ids: list[Any] = []  # the reqId of every command received, in order
        self.refused = 0
        self._n = 0

    def _add_socket_routes(self, app: web.Application) -> None:
        """API 3.0: one plain WebSocket at ``/`` (``?key=KEY``)."""
        app.router.add_get("/", self._websocket3)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def connected_clients(self) -> int:
        return len(self.sessions3)

    async def drop_connections(self, *, send_disconnect: bool = False) -> None:
        """Close every socket server-side (clients are expected to reconnect)."""
        for session in list(self.sessions3.values()):
            await session.close()

    def freeze(self, frozen: bool = True) -> None:
        """Make every current link silent: no events, no replies, no pongs."""
        for session in self.sessions3.values():
            session.frozen = frozen

    async def send_raw(self, text: str) -> None:
        """Write ``text`` as one frame to every connected client (for fault tests)."""
        for session in list(self.sessions3.values()):
            await session.send(text)

    async def emit_gateway(self, name: str, data: Payload) -> None:
        """A gateway-group event (its shape is unknown to the contract; tests pick one)."""
        await self._send_event(name, data)

    async def _broadcast(self, name: str, payload: Payload) -> None:
        if name == OUTAGE_EVENT:  # a scenario's "outage" step, not a PBX event
            await self.outage(float(payload.get("seconds", 0)))
            return
        self.history.observe(name, payload)
        self.emitted.append((name, payload))
        self.emitted_total += 1
        for name3, data in self.wire.translate(name, payload):
            await self._send_event(name3, data)
        await self._notify()

    async def _send_event(self, name: str, data: Payload) -> None:
        self.emitted3.append((name, data))
        frame = {"event": name, "data": data}
        for session in list(self.sessions3.values()):
            if session.wants(name) and not session.frozen and await session.send(frame):
                self.events_sent += 1
        await self._notify()

    # --- the socket -----------------------------------------------------------------------------
    async def _websocket3(self, request: web.Request) -> web.StreamResponse:
        if time.monotonic() < self.outage_until:
            return web.Response(status=503, text="PBX unavailable (simulated outage)")
        good = request.query.get("key") == self._key
        if not good and self.knobs.bad_key == "upgrade":
            self.refused += 1
            return web.Response(status=401, text="invalid key")
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        if not good and self.knobs.bad_key == "close":
            self.refused += 1
            await ws.close(code=4401, message=b"invalid key")
            return ws
        self._n += 1
        session = V3Session(f"s{self._n}", ws)
        self.sessions3[session.sid] = session
        await self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.PING and not session.frozen:
                    await ws.pong(msg.data)
                    session.pings_answered += 1
                elif msg.type == WSMsgType.TEXT and not session.frozen:
                    await self._on_frame3(session, msg.data, good)
        finally:
            self.sessions3.pop(session.sid, None)
            await self._notify()
        return ws

    async def _on_frame3(self, session: V3Session, text: str, good: bool) -> None:
        try:
            frame = json.loads(text)
            name, data = frame["command"], frame.get("data") or {}
        except (ValueError, KeyError, TypeError):
            logger.warning("session %s: dropped a bad frame %r", session.sid, text[:60])
            return
        self.commands_received.append((name, data))
        self.commands_total += 1
        self.req_ids.append(frame.get("reqId"))
        req = frame.get("reqId") if self.knobs.echo_req_id else None
        if not good:  # bad_key == "event"
            self.refused += 1
            await self._reply(session, req, f"error_{name}", message="Invalid API key")
        elif name == "subscribe":
            await self._subscribe(session, req, data)
        elif name in _COMMANDS:
            await self._command(session, req, name, data)
        else:
            await self._reply(session, req, f"error_{name}", message="Unknown command")
        await self._notify()

    async def _reply(self, session: V3Session, req: Any, event: str, data: Any = None,
                     message: str = "") -> None:
        frame: Payload = {"event": event}
        if req is not None:
            frame["reqId"] = req
        if message:
            frame["message"] = message
        else:
            frame["data"] = data
        await session.send(frame)

    async def _subscribe(self, session: V3Session, req: Any, data: Payload) -> None:
        wanted = data.get("eventGroups")
        allowed = {g: g for g in GROUPS} if self.knobs.group_names != "camel" else {}
        if self.knobs.group_names != "snake":
            allowed.update({_camel(g): g for g in GROUPS})
        if not isinstance(wanted, list) or any(g not in allowed for g in wanted):
            await self._reply(session, req, "error_subscribe", message="Unknown event group")
            return
        session.subs.update(allowed[g] for g in wanted)
        await self._reply(session, req, "subscribed", {"eventGroups": wanted})
        if "gateway" in session.subs:
            for trunk in self.roster.trunks:
                await session.send({"event": "gateway_status",
                                    "data": {"gateway_id": trunk.num, "status": trunk.status}})

    async def _command(self, session: V3Session, req: Any, name: str, data: Payload) -> None:
        old, reply_event, reshape = _COMMANDS[name]
        answer = await self.commands.handle(old, reshape(data), {})
        if answer.get("status"):
            await self._reply(session, req, reply_event, dict(data))
        else:
            await self._reply(session, req, f"error_{name}", message=str(answer.get("text", "")))


def _camel(group: str) -> str:
    head, *rest = group.split("_")
    return head + "".join(part.title() for part in rest)
