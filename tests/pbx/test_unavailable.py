"""A command issued while the link is down waits for it, up to the command timeout."""

from __future__ import annotations

import asyncio
import socket

import pytest

from adapters.pbx.v2.client import PbxClient
from bot.backoff import Backoff
from bot.errors import InvalidArgument, PbxUnavailable
from tests.pbx.conftest import DOMAIN, KEY, StartServer

pytestmark = pytest.mark.timeout(20)


async def _ignore(_: object) -> None:
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unavailable_after_timeout_and_invalid_first() -> None:
    client = PbxClient(f"http://127.0.0.1:{_free_port()}", DOMAIN, KEY, on_event=_ignore, command_timeout=0.3)
    with pytest.raises(InvalidArgument):
        await client.hangup_call("")  # validated before waiting for the link
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(PbxUnavailable):
        await client.hangup_call("u1")
    assert 0.25 <= loop.time() - start < 1.0 and client._pending == {}


async def test_command_waits_for_the_link(start_server: StartServer) -> None:
    port = _free_port()
    client = PbxClient(
        f"http://127.0.0.1:{port}",
        DOMAIN,
        KEY,
        on_event=_ignore,
        command_timeout=5.0,
        backoff=Backoff(base=0.05, cap=0.1),
    )
    task = asyncio.create_task(client.run())
    try:
        pending = asyncio.create_task(client.make_call("201", "202"))
        await asyncio.sleep(0.2)
        assert not pending.done() and not client.connected
        server = await start_server(port=port)
        assert await asyncio.wait_for(pending, 5) == "uuid-make_call"
        assert server.count("command", "make_call") == 1
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)
