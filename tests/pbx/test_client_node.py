"""PbxClient against the real socket.io@0.9.19 server (tests/node/sio_server.js)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from adapters.pbx.v2.client import LinkState, PbxClient
from bot.backoff import Backoff
from bot.errors import PbxCommandError, PbxTimeout
from bot.events import Blf, ChannelCreate, PbxEvent, RawEvent
from tests.pbx.conftest import DOMAIN, KEY, NodeServer

pytestmark = pytest.mark.timeout(30)


class Recorder:
    def __init__(self, fail_on: str = "") -> None:
        self.events: list[PbxEvent] = []
        self.states: list[LinkState] = []
        self.fail_on = fail_on
        self.got = asyncio.Event()

    async def on_event(self, event: PbxEvent) -> None:
        self.events.append(event)
        self.got.set()
        if self.fail_on and isinstance(event, RawEvent) and event.name == self.fail_on:
            raise RuntimeError("handler bug")

    async def wait_events(self, n: int, within: float = 5.0) -> None:
        async def enough() -> None:
            while len(self.events) < n:
                self.got.clear()
                await self.got.wait()

        await asyncio.wait_for(enough(), within)


def make_client(base_url: str, rec: Recorder, key: str = KEY, **kw: object) -> PbxClient:
    return PbxClient(
        base_url,
        DOMAIN,
        key,
        on_event=rec.on_event,
        on_state=rec.states.append,
        backoff=Backoff(base=0.05, cap=0.2),
        auth_backoff=Backoff(base=0.1, cap=0.3),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def running(sio_server: NodeServer) -> AsyncIterator[tuple[PbxClient, Recorder, NodeServer]]:
    rec = Recorder(fail_on="boom")
    client = make_client(sio_server.base_url, rec, command_timeout=1.0, max_frame=2000)
    task = asyncio.create_task(client.run())
    assert await client.wait_connected(5)
    await sio_server.wait_for("command", "subscribe")
    yield client, rec, sio_server
    await client.close()
    await asyncio.wait_for(task, 5)


async def test_connect_subscribe_and_events(running: tuple[PbxClient, Recorder, NodeServer]) -> None:
    client, rec, server = running
    sub = server.matching("command", "subscribe")[0]["data"]
    assert sub["events"] == {
        "calls": True,
        "blf": True,
        "registration": True,
        "messages": False,
        "callback": False,
        "api": False,
    }
    assert len(sub["callback_hash"]) == 16 and sub["callback_hash"].isalnum()
    assert client.connected and client.state is LinkState.CONNECTED
    await server.control(
        cmd="emit", name="blf", args=[{"uid": 201, "status": "ringing", "timestamp": "1375466463"}]
    )
    await server.control(
        cmd="emit",
        name="channel_create",
        args=[{"uuid": "u1", "direction": "inbound", "created_stamp": "1375466463124"}],
    )
    await rec.wait_events(2)
    assert rec.events == [
        Blf(uid="201", status="ringing", timestamp=1375466463),
        ChannelCreate(uuid="u1", direction="inbound", created_stamp=1375466463124),
    ]


async def test_commands_round_trip(running: tuple[PbxClient, Recorder, NodeServer]) -> None:
    client, _, server = running
    assert await client.make_call("201", "88001006729", gate_from="1") == "uuid-make_call"
    sent = server.matching("command", "make_call")[0]["data"]
    assert sent["from"] == "201" and sent["to"] == "88001006729" and sent["gate_from"] == "1"
    assert (await client.user_list())[0].uid == "201"
    assert (await client.trunk_list())[0].status == "REGED"
    await client.hangup_call("u1")
    with pytest.raises(PbxCommandError) as err:
        await client.transfer("u1", "FAIL")
    assert err.value.code == "CALL_REJECTED"
    assert (await client.subscribe({"calls": True}))["calls"] is True


async def test_timeout_forgets_the_hash(
    running: tuple[PbxClient, Recorder, NodeServer], caplog: pytest.LogCaptureFixture
) -> None:
    client, _, _ = running
    with pytest.raises(PbxTimeout):
        await client.bridge("u1", "SILENT")
    assert client._pending == {}
    await client.reloadgw("1")  # the loop is still fine


async def test_malformed_frames_and_events_are_skipped(
    running: tuple[PbxClient, Recorder, NodeServer], caplog: pytest.LogCaptureFixture
) -> None:
    client, rec, server = running
    caplog.set_level(logging.WARNING)
    await server.control(cmd="raw", frame="5:::{not json")
    await server.control(cmd="raw", frame="3:::" + "x" * 3000)  # over max_frame=2000
    await server.control(cmd="emit", name="channel_create", args=[{"uuid": ["bad"], "direction": "in"}])
    await server.control(cmd="emit", name="channel_destroy", args=["not a dict"])
    await server.control(cmd="emit", name="boom", args=[{}])  # on_event raises
    await server.control(cmd="emit", name="channel_hold", args=[{"uuid": "u9"}])
    await rec.wait_events(2)
    assert rec.events[-1].__class__.__name__ == "ChannelHold"
    assert client.protocol_errors == 2 and client.malformed_events == 2
    assert client.connected and client.reconnects == 0
    text = caplog.text
    assert "skipped a bad frame" in text and "'channel_create'" in text and "on_event failed" in text


@pytest.mark.timeout(20)
async def test_survives_heartbeats(running: tuple[PbxClient, Recorder, NodeServer]) -> None:
    client, _, server = running
    await asyncio.sleep(4.5)  # heartbeat every 1 s, timeout 3 s
    assert client.connected and client.reconnects == 0
    assert server.count("disconnect") == 0


async def test_server_disconnect_reconnects_and_resubscribes(
    running: tuple[PbxClient, Recorder, NodeServer],
) -> None:
    client, rec, server = running
    await server.control(cmd="disconnect")
    await server.wait_for("command", "subscribe", count=2)
    assert client.reconnects == 1 and client.connected
    assert server.count("connection") == 2
    assert LinkState.DISCONNECTED in rec.states and rec.states[-1] is LinkState.CONNECTED
    await client.flush_reg("201")


async def test_bad_key_is_auth_failure_without_the_key_in_logs(
    sio_server: NodeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "WrongKey-987654321"
    rec = Recorder()
    client = make_client(sio_server.base_url, rec, key=wrong)
    task = asyncio.create_task(client.run())
    for _ in range(100):
        await asyncio.sleep(0.05)
        if client.auth_backoff.attempt >= 2:
            break
    await client.close()
    await asyncio.wait_for(task, 5)
    assert LinkState.AUTH_FAILED in rec.states and not client.connected
    auth_lines = [r for r in caplog.records if "refused the API key" in r.getMessage()]
    assert len(auth_lines) >= 2 and all(r.exc_info is None for r in auth_lines)
    assert DOMAIN in auth_lines[0].getMessage()
    assert wrong not in caplog.text and KEY not in caplog.text
