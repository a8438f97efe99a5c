"""Faults on API 3.0: a dropped socket, a silent one (no pong), a refused key (all three ways),
garbage frames and unknown events; the client keeps running and says so in one line."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from adapters.pbx.simulator.scenario import parse_scenario
from adapters.pbx.simulator.v3_server import PbxSimulatorV3, V3Knobs
from adapters.pbx.v3.client import LinkState, SocketClient
from bot.backoff import Backoff
from bot.events import Blf, ChannelCreate, PbxEvent, RawEvent
from tests.faults.harness import until

pytestmark = pytest.mark.timeout(30)
DOMAIN, KEY = "faults.onpbx.ru", "v3-fault-key/with+odd=chars"


async def start(knobs: V3Knobs | None = None, key: str = KEY, **kw: object) -> tuple[
        PbxSimulatorV3, SocketClient, list[PbxEvent], asyncio.Task[None]]:
    sim = PbxSimulatorV3(DOMAIN, KEY, knobs=knobs, time_scale=40.0)
    await sim.start()
    seen: list[PbxEvent] = []

    async def record(ev: PbxEvent) -> None:
        seen.append(ev)

    client = SocketClient(sim.url, key, domain=DOMAIN, on_event=record, backoff=Backoff(base=0.05, cap=0.2),
                          **kw)  # type: ignore[arg-type]
    return sim, client, seen, asyncio.create_task(client.run())


async def stop(sim: PbxSimulatorV3, client: SocketClient, task: asyncio.Task[None]) -> None:
    await client.close()
    await asyncio.wait_for(task, 5.0)
    await sim.stop()


async def test_drop_reconnects_and_subscribes_again() -> None:
    sim, client, seen, task = await start()
    assert await client.wait_connected(5.0)
    await sim.drop_connections()
    await until(lambda: client.reconnects == 1 and client.connected, 5.0)
    assert [n for n, _ in sim.commands_received] == ["subscribe", "subscribe"]
    await sim.emit("blf", {"uid": "201", "status": "ringing"})
    await until(lambda: any(isinstance(e, Blf) for e in seen), 5.0)
    await stop(sim, client, task)


async def test_silence_without_pongs_is_a_dead_link(caplog: pytest.LogCaptureFixture) -> None:
    sim, client, _, task = await start(ping_interval=0.1, dead_after=0.6)
    assert await client.wait_connected(5.0)
    await until(lambda: next(iter(sim.sessions3.values())).pings_answered >= 2, 5.0)
    assert client.reconnects == 0  # answered pings keep a quiet link alive
    sim.freeze()
    await until(lambda: client.reconnects == 1 and client.connected, 10.0)
    assert "the link is dead" in caplog.text and list(sim.sessions3) == ["s2"]  # a fresh socket
    await stop(sim, client, task)


@pytest.mark.parametrize("how", ["upgrade", "close", "event"])
async def test_a_refused_key_is_one_clear_line_and_a_long_backoff(
    how: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sim, client, _, task = await start(V3Knobs(bad_key=how), key="wrong/key+" + KEY)  # type: ignore[arg-type]
    await until(lambda: client.state is LinkState.AUTH_FAILED, 5.0)
    await asyncio.sleep(0.3)  # a short backoff would have retried by now
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "refused the API key" in errors[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)
    text = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    assert KEY not in text and "wrong" not in text and "key%2B" not in text.lower()
    assert sim.refused == 1 and client.reconnects == 0 and client.auth_backoff.attempt == 1
    await stop(sim, client, task)


async def test_garbage_and_unknown_events_are_counted_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    sim, client, seen, task = await start()
    assert await client.wait_connected(5.0)
    for text in ["{not json", "[1,2]", json.dumps({"data": {}}),
                 json.dumps({"event": "channel_create", "data": {"direction": "inbound"}}),  # no uuid
                 json.dumps({"event": "channel_park", "data": {"uuid": "x"}}),
                 json.dumps({"event": "bridged", "reqId": "nobody-asked", "data": {}}),
                 json.dumps({"event": "error_reboot", "message": "whatever"})]:
        await sim.send_raw(text)
    call = {"from": "79161234567", "to": "201", "ring": ["201"], "outcome": "missed", "ring_s": 0.5}
    await sim.play(parse_scenario({"steps": [{"at": 0.0, "call": call}]}), wait=True)
    await until(lambda: len([e for e in seen if isinstance(e, ChannelCreate)]) == 2, 5.0)
    assert client.protocol_errors == 3 and client.malformed_events == 1
    assert RawEvent("channel_park") in seen and client.reconnects == 0
    assert "skipped a bad frame" in caplog.text and "error_reboot: whatever" in caplog.text
    await stop(sim, client, task)
