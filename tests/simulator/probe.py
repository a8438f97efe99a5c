"""A tiny raw Socket.IO 0.9 websocket peer for the simulator tests (aiohttp + the codec)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from adapters.pbx.simulator import PbxSimulator
from adapters.pbx.v2.socketio09 import EVENT, HEARTBEAT, HEARTBEAT_PACKET, Packet, decode, encode, event

DOMAIN, KEY = "example.onpbx.ru", "s3cr3t-key"
ALL = {"calls": True, "blf": True, "messages": True, "registration": True}


def make_sim(**kw: Any) -> PbxSimulator:
    kw.setdefault("heartbeat_interval", 5.0)
    kw.setdefault("heartbeat_timeout", 5.0)
    kw.setdefault("time_scale", 200.0)
    return PbxSimulator(DOMAIN, KEY, **kw)


class Probe:
    """Handshakes, opens the websocket, answers heartbeats (unless told not to), keeps events."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, sid: str) -> None:
        self.http, self.ws, self.sid = http, ws, sid
        self.answer_heartbeats = True
        self.events: list[tuple[str, Any]] = []
        self.frames: list[str] = []
        self._n = 0

    @classmethod
    async def open(cls, sim: PbxSimulator, subscribe: dict[str, bool] | None = None) -> Probe:
        http = aiohttp.ClientSession()
        async with http.get(f"{sim.url}/socket.io/1/", params={"key": KEY, "domain": DOMAIN, "t": "1"}) as r:
            assert r.status == 200, await r.text()
            sid = (await r.text()).split(":")[0]
        ws = await http.ws_connect(f"{sim.url.replace('http', 'ws')}/socket.io/1/websocket/{sid}")
        probe = cls(http, ws, sid)
        assert (await probe.recv()).type == 1  # 1:: first
        if subscribe is not None:
            reply = await probe.command("subscribe", {"events": subscribe})
            assert reply["status"] is True
        return probe

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()

    async def recv(self, within: float = 3.0) -> Packet:
        """The next packet that is not an answered heartbeat; events are also kept in ``events``."""
        async with asyncio.timeout(within):
            return await self._recv()

    async def _recv(self) -> Packet:
        while True:
            msg = await self.ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket closed: {msg.type}")
            self.frames.append(msg.data)
            packet = decode(msg.data)
            if packet.type == HEARTBEAT and self.answer_heartbeats:
                await self.ws.send_str(encode(HEARTBEAT_PACKET))
                continue
            if packet.type == EVENT and packet.name != "callback":
                self.events.append((packet.name, packet.args[0] if packet.args else None))
            return packet

    async def send(self, packet: Packet) -> None:
        await self.ws.send_str(encode(packet))

    async def command(self, name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a command with a fresh callback_hash and return its ``callback`` payload."""
        self._n += 1
        h = f"h{self._n:015d}"
        await self.send(event(name, {**(data or {}), "callback_hash": h}))
        while True:
            p = await self.recv()
            if p.type == EVENT and p.name == "callback" and p.args[0].get("hash") == h:
                reply: dict[str, Any] = p.args[0]
                return reply

    async def until(self, pred: Any, within: float = 3.0) -> None:
        """Read until ``pred(self.events)`` holds."""
        async with asyncio.timeout(within):
            while not pred(self.events):
                await self.recv(within)
