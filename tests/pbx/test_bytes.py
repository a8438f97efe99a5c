"""Random BYTES into the Socket.IO 0.9 codec only ever raise ProtocolError, and a binary
WebSocket frame between valid ones is counted as a protocol error and skipped, link kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.pbx.v2 import socketio09 as sio
from adapters.pbx.v2.client import PbxClient
from bot.backoff import Backoff
from bot.errors import ProtocolError
from bot.events import Blf, PbxEvent
from tests.pbx.conftest import DOMAIN, KEY

ERRORS = ("replace", "surrogateescape", "ignore", "backslashreplace", "surrogatepass")
PREFIXES = (b"", b"5:::", b"5::/x:", b"6:::1+", b"4:::", b"\xef\xbf\xbd", b"\xef\xbf\xbd9\xef\xbf\xbd")


def _decodings(raw: bytes) -> list[str]:
    out = []
    for errors in ERRORS:
        try:
            out.append(raw.decode("utf-8", errors))
        except UnicodeDecodeError:
            pass  # only surrogatepass can refuse, and then there is no text to feed
    return [*out, raw.decode("latin-1"), raw.decode("utf-16-le", "replace")]


def _only_protocol_errors(text: str) -> None:
    for call in (
        lambda: sio.decode(text, max_size=64),
        lambda: sio.PayloadDecoder(64).feed(text),
        lambda: sio.parse_handshake(text),
    ):
        try:
            call()
        except ProtocolError:
            pass


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(PREFIXES), st.binary(max_size=200))
def test_random_bytes_only_protocol_errors(prefix: bytes, raw: bytes) -> None:
    for text in _decodings(prefix + raw):
        _only_protocol_errors(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_random_bytes_fed_in_chunks(raw: bytes, step: int) -> None:
    text = (b"\xef\xbf\xbd" + raw).decode("utf-8", "surrogateescape")
    decoder = sio.PayloadDecoder(128)
    for i in range(0, len(text), step):
        try:
            decoder.feed(text[i : i + step])
        except ProtocolError:
            pass


# --- a binary WebSocket frame on a live link ------------------------------------------------------

BLF = [{"uid": 201, "status": "ringing", "timestamp": "1"}, {"uid": 202, "status": "idle", "timestamp": "2"}]


@pytest.fixture
async def binary_server() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """Says ``1::``, then a blf event, a BINARY frame, another blf event; then stays open.
    Yields (base_url, an event set once the last frame went out)."""
    sent = asyncio.Event()

    async def hs(_: web.Request) -> web.Response:
        return web.Response(text="sid1:10:10:websocket")

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        await sock.send_str("1::")
        await sock.send_str(sio.encode(sio.event("blf", BLF[0])))
        await sock.send_bytes(b"\x00\x01" + sio.encode(sio.event("blf", BLF[0])).encode())
        await sock.send_str(sio.encode(sio.event("blf", BLF[1])))
        sent.set()
        async for _ in sock:
            pass
        return sock

    app = web.Application()
    app.router.add_get("/socket.io/1/", hs)
    app.router.add_get("/socket.io/1/websocket/{sid}", ws)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", sent
    await runner.cleanup()


@pytest.mark.timeout(10)
async def test_binary_frame_is_a_protocol_error_and_skipped(
    binary_server: tuple[str, asyncio.Event], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    url, sent = binary_server
    events: list[PbxEvent] = []
    two = asyncio.Event()

    async def on_event(event: PbxEvent) -> None:
        events.append(event)
        if len(events) >= 2:
            two.set()

    client = PbxClient(url, DOMAIN, KEY, on_event=on_event, backoff=Backoff(base=0.05, cap=0.1))
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(asyncio.gather(sent.wait(), two.wait()), 5)
        await asyncio.sleep(0.05)  # nothing else may arrive or break
        assert events == [Blf(uid="201", status="ringing", timestamp=1), Blf(uid="202", status="idle",
                                                                              timestamp=2)]
        assert client.protocol_errors == 1
        assert client.connected and client.reconnects == 0
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)
    lines = [r for r in caplog.records if "non-text WebSocket message (BINARY)" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
