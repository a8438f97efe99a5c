"""The aiohttp driver: handshake outcomes, a stale session id, the silence watchdog, redaction."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from adapters.pbx.v2 import socketio09 as sio
from adapters.pbx.v2.client import PbxClient
from adapters.pbx.v2.transport import LinkClosed, LinkStats, handshake, open_link, redact, ws_url
from bot.backoff import Backoff
from bot.errors import AuthenticationError, HandshakeError
from tests.pbx.conftest import DOMAIN, KEY, NodeServer

pytestmark = pytest.mark.timeout(20)


def test_urls_and_redaction() -> None:
    url = ws_url("https://d.onpbx.ru:8093/", "SID", "d.onpbx.ru", "k&ey")
    assert url == "wss://d.onpbx.ru:8093/socket.io/1/websocket/SID?key=k%26ey&domain=d.onpbx.ru"
    assert ws_url("http://127.0.0.1:9", "S", "d", "k").startswith("ws://127.0.0.1:9/")
    assert redact(url) == "wss://d.onpbx.ru:8093/socket.io/1/websocket/SID?<redacted>"


async def test_handshake_ok_and_403(sio_server: NodeServer) -> None:
    async with aiohttp.ClientSession() as session:
        answer = await handshake(session, sio_server.base_url, DOMAIN, KEY)
        assert answer.heartbeat_timeout == 3 and "websocket" in answer.transports
        with pytest.raises(AuthenticationError) as err:
            await handshake(session, sio_server.base_url, DOMAIN, "bad-key-xyz")
        assert DOMAIN in str(err.value) and "bad-key-xyz" not in str(err.value)


async def test_handshake_refused_connection() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(HandshakeError):
            await handshake(session, "http://127.0.0.1:1", DOMAIN, KEY, limit_s=2)


async def _ignore(_: sio.Packet) -> None:
    return None


async def test_stale_session_id_gets_7_1_0(sio_server: NodeServer) -> None:
    stale = sio.Handshake("unknown-sid-123", 3.0, 3.0, ("websocket",))
    async with aiohttp.ClientSession() as session:
        link = await open_link(session, sio_server.base_url, DOMAIN, KEY, stale, LinkStats())
        with pytest.raises(LinkClosed, match="client not handshaken, reconnect"):
            await link.serve(_ignore)
        await link.ws.close()


async def _silent_server(answers: list[str]) -> web.AppRunner:
    """Handshakes with a 0.3 s heartbeat timeout, says ``1::`` and then nothing at all."""

    async def hs(_: web.Request) -> web.Response:
        answers.append("handshake")
        return web.Response(text="sid1:0.3:1:websocket")

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        await sock.send_str("1::")
        async for _ in sock:
            pass
        return sock

    app = web.Application()
    app.router.add_get("/socket.io/1/", hs)
    app.router.add_get("/socket.io/1/websocket/{sid}", ws)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def test_silence_means_dead_link_and_reconnect() -> None:
    answers: list[str] = []
    runner = await _silent_server(answers)
    port = runner.addresses[0][1]

    async def ignore(_: object) -> None:
        return None

    client = PbxClient(
        f"http://127.0.0.1:{port}", DOMAIN, KEY, on_event=ignore, backoff=Backoff(base=0.05, cap=0.1)
    )
    task = asyncio.create_task(client.run())
    try:
        assert await client.wait_connected(3)
        for _ in range(60):
            await asyncio.sleep(0.05)
            if client.reconnects >= 1 and client.connected:
                break
        assert client.reconnects >= 1 and answers.count("handshake") >= 2
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)
        await runner.cleanup()
