"""PbxClient recovery rules: the backoff resets only after a stable link, a refused or partial
subscribe is a warning (not a crash), and a 403 waits on the long auth backoff alone."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from adapters.pbx.v2.client import LinkState, PbxClient
from bot.backoff import Backoff
from bot.events import Blf
from tests.pbx.conftest import DOMAIN, KEY, NodeServer, StartServer
from tests.pbx.test_client_node import Recorder, make_client

pytestmark = pytest.mark.timeout(20)


class RecordingBackoff(Backoff):
    """A Backoff that remembers every delay it handed out."""

    def __init__(self, base: float, cap: float) -> None:
        super().__init__(base=base, cap=cap, jitter=0.0)
        self.delays: list[float] = []

    def next_delay(self) -> float:
        delay = super().next_delay()
        self.delays.append(delay)
        return delay


async def _stop(client: PbxClient, task: asyncio.Task[None]) -> None:
    await client.close()
    await asyncio.wait_for(task, 5)


# --- 1. backoff reset after a stable connection ---------------------------------------------------


async def _drop_once(server: NodeServer, stable_after: float, up_for: float) -> PbxClient:
    """Connect with 5 earlier failed attempts on the backoff, stay up ``up_for`` s, get dropped by
    the server, and return the client once it is connected again."""
    rec = Recorder()
    client = make_client(server.base_url, rec, stable_after=stable_after)
    client.backoff.attempt = 5  # as if the link had failed 5 times before this session
    task = asyncio.create_task(client.run())
    try:
        assert await client.wait_connected(5)
        await asyncio.sleep(up_for)
        await server.control(cmd="disconnect")
        await server.wait_for("connection", count=2)
        assert await client.wait_connected(5)
        assert client.reconnects == 1
    finally:
        await _stop(client, task)
    return client


async def test_backoff_resets_after_a_stable_link(sio_server: NodeServer) -> None:
    client = await _drop_once(sio_server, stable_after=0.2, up_for=0.4)
    assert client.backoff.attempt == 1  # reset to 0, then this one reconnect


async def test_backoff_keeps_growing_when_the_link_dies_early(sio_server: NodeServer) -> None:
    client = await _drop_once(sio_server, stable_after=30.0, up_for=0.0)
    assert client.backoff.attempt == 6


async def test_backoff_grows_over_repeated_early_drops(
    sio_server: NodeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.pbx.v2.client")
    client = make_client(sio_server.base_url, Recorder(), stable_after=30.0)
    task = asyncio.create_task(client.run())
    try:
        for n in (1, 2, 3):
            assert await client.wait_connected(5)
            await sio_server.wait_for("command", "subscribe", count=n)
            await sio_server.control(cmd="disconnect")
            await sio_server.wait_for("connection", count=n + 1)
        assert await client.wait_connected(5)
    finally:
        await _stop(client, task)
    assert client.backoff.attempt == 3 and client.reconnects == 3
    attempts = [r.getMessage() for r in caplog.records if "reconnect attempt" in r.getMessage()]
    assert [m.split("reconnect attempt ")[1].split()[0] for m in attempts] == ["1", "2", "3"]


# --- 2. the subscribe reply check -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "warning"),
    [
        ({"status": False, "text": "DENIED"}, "subscribe failed: PBX refused subscribe: DENIED"),
        (
            {"status": True, "data": {"calls": True, "blf": False, "registration": True}},
            "did not enable event groups: blf",
        ),
        ({"status": True, "data": None}, "did not enable event groups: calls, blf, registration"),
    ],
)
async def test_refused_subscribe_is_a_warning_and_events_still_flow(
    start_server: StartServer, caplog: pytest.LogCaptureFixture, reply: dict[str, object], warning: str
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.pbx.v2.client")
    server: NodeServer = await start_server()
    await server.control(cmd="subscribe_reply", reply=reply)
    rec = Recorder()
    client = make_client(server.base_url, rec)
    task = asyncio.create_task(client.run())
    try:
        assert await client.wait_connected(5)
        await server.wait_for("command", "subscribe")
        for _ in range(100):
            if any(warning in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
        lines = [r for r in caplog.records if warning in r.getMessage()]
        assert len(lines) == 1 and lines[0].levelno == logging.WARNING and lines[0].exc_info is None
        await server.control(cmd="emit", name="blf", args=[{"uid": 202, "status": "idle", "timestamp": "7"}])
        await rec.wait_events(1)
        assert rec.events == [Blf(uid="202", status="idle", timestamp=7)]
        assert client.connected and client.reconnects == 0 and client.state is LinkState.CONNECTED
    finally:
        await _stop(client, task)


async def test_full_subscribe_reply_logs_no_warning(
    sio_server: NodeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.pbx.v2.client")
    client = make_client(sio_server.base_url, Recorder())
    task = asyncio.create_task(client.run())
    try:
        assert await client.wait_connected(5)
        assert (await client.subscribe({"calls": True}))["calls"] is True  # after the automatic one
    finally:
        await _stop(client, task)
    assert "subscribe" not in caplog.text


# --- 5. the auth-failure backoff ------------------------------------------------------------------


@pytest.fixture
async def forbidden() -> AsyncIterator[tuple[str, list[float], asyncio.Event]]:
    """A stand-in PBX that answers every handshake 403; yields (base_url, handshake times, an
    event set at the third handshake)."""
    times: list[float] = []
    third = asyncio.Event()

    async def hs(_: web.Request) -> web.Response:
        times.append(time.monotonic())
        if len(times) >= 3:
            third.set()
        return web.Response(status=403, text="handshake unauthorized")

    app = web.Application()
    app.router.add_get("/socket.io/1/", hs)
    runner = web.AppRunner(app, access_log=None)  # its access log would show the key
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", times, third
    await runner.cleanup()


def test_default_auth_backoff_is_long() -> None:
    async def ignore(_: object) -> None:
        return None

    client = PbxClient("http://127.0.0.1:1", DOMAIN, KEY, on_event=ignore)
    assert client.auth_backoff.base == 15.0 and client.auth_backoff.cap == 300.0
    assert client.auth_backoff.peek(0) >= 15.0 > client.backoff.peek(0)
    assert client.auth_backoff.peek(100) == 300.0


async def test_403_waits_on_the_auth_backoff_only(
    forbidden: tuple[str, list[float], asyncio.Event], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url, times, third = forbidden
    auth, normal = RecordingBackoff(base=0.15, cap=0.3), RecordingBackoff(base=0.01, cap=0.02)
    states: list[LinkState] = []

    async def ignore(_: object) -> None:
        return None

    client = PbxClient(url, DOMAIN, KEY, on_event=ignore, on_state=states.append, backoff=normal,
                       auth_backoff=auth)
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(third.wait(), 5)
    await _stop(client, task)
    assert auth.delays[:3] == [0.15, 0.3, 0.3] and auth.delays[0] >= auth.base
    assert normal.delays == [] and normal.attempt == 0 and client.reconnects == 0
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] >= 0.14 and gaps[1] >= 0.28  # it really waited that long
    lines = [r for r in caplog.records if "refused the API key" in r.getMessage()]
    assert len(lines) == len(auth.delays) == len(times)  # one line per attempt
    assert all(r.levelno == logging.ERROR and r.exc_info is None for r in lines)
    assert [r.getMessage().split("retry ")[1].split()[0] for r in lines][:3] == ["1", "2", "3"]
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text
    assert KEY not in caplog.text
    assert LinkState.AUTH_FAILED in states and LinkState.CONNECTED not in states
