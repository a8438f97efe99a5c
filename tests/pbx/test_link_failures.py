"""The link survives its own bugs and half-dead sessions (against the simulator)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest

from adapters.pbx.simulator.server import PbxSimulator
from adapters.pbx.v2.client import PbxClient
from adapters.pbx.v2.socketio09 import Packet
from bot.backoff import Backoff
from bot.errors import PbxUnavailable
from bot.events import PbxEvent

KEY, DOMAIN = "link-failure-key-123", "fail.onpbx.ru"
pytestmark = pytest.mark.timeout(30)


class SwallowFirstSubscribe(PbxSimulator):
    """Never answers the first ``subscribe`` (a session that would deliver no events)."""

    swallowed = 0

    async def _on_command(self, session: Any, packet: Packet) -> None:
        if packet.name == "subscribe" and self.swallowed == 0:
            self.swallowed += 1
            self.commands_received.append((packet.name, {}))
            return
        await super()._on_command(session, packet)


class DropOnMakeCall(PbxSimulator):
    """Closes every connection when ``make_call`` arrives, before any reply."""

    async def _on_command(self, session: Any, packet: Packet) -> None:
        if packet.name == "make_call":
            await self.drop_connections()
            return
        await super()._on_command(session, packet)


class BuggyOnce(PbxClient):
    """A session that raises a non-network exception once (a bug in our own code)."""

    failed = False

    async def _session(self, session: aiohttp.ClientSession) -> None:
        if not self.failed:
            self.failed = True
            raise ValueError("a bug in the session code")
        await super()._session(session)


async def _noop(_: PbxEvent) -> None:
    return None


def _client(url: str, cls: type[PbxClient] = PbxClient, **kw: Any) -> PbxClient:
    return cls(url, DOMAIN, KEY, on_event=_noop, backoff=Backoff(base=0.05, cap=0.2, jitter=0), **kw)


async def _run(sim: PbxSimulator, client: PbxClient) -> asyncio.Task[None]:
    return asyncio.create_task(client.run())


async def _stop(sim: PbxSimulator, client: PbxClient, task: asyncio.Task[None]) -> None:
    await client.close()
    await asyncio.wait_for(task, 5)
    await sim.stop()


async def test_a_subscribe_without_answer_reconnects_and_subscribes_again(caplog: Any) -> None:
    sim = SwallowFirstSubscribe(DOMAIN, KEY)
    await sim.start()
    client = _client(sim.url, command_timeout=0.5)
    task = await _run(sim, client)
    try:
        async with asyncio.timeout(10):
            await sim.wait_for(lambda: sum(n == "subscribe" for n, _ in sim.commands_received) >= 2)
        assert client.reconnects >= 1
        assert any("subscribe failed" in r.getMessage() and "reconnecting" in r.getMessage()
                   for r in caplog.records)
    finally:
        await _stop(sim, client, task)


async def test_a_command_whose_link_drops_is_unavailable_not_timed_out() -> None:
    sim = DropOnMakeCall(DOMAIN, KEY)
    await sim.start()
    client = _client(sim.url, command_timeout=5.0)
    task = await _run(sim, client)
    try:
        assert await client.wait_connected(5)
        with pytest.raises(PbxUnavailable, match="dropped before the reply"):
            await client.make_call("201", "79161234567")
    finally:
        await _stop(sim, client, task)


async def test_an_unexpected_error_in_a_session_is_logged_and_the_link_comes_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="adapters.pbx.v2.client")
    sim = PbxSimulator(DOMAIN, KEY)
    await sim.start()
    client = _client(sim.url, cls=BuggyOnce)
    task = await _run(sim, client)
    try:
        assert await client.wait_connected(5)
        assert not task.done()
        bug = [r for r in caplog.records if "failed unexpectedly" in r.getMessage()]
        assert len(bug) == 1 and bug[0].exc_info is not None
    finally:
        await _stop(sim, client, task)
