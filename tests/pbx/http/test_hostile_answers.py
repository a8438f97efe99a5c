"""HttpPbx against hostile answers of the simulator's HTTP API (:mod:`adapters.pbx.simulator.hostile`):
a bad record costs only itself (skipped and counted, the rest of the page arrives); an answer
that is no JSON at all, deeper than any parser recurses, bigger than ``max_bytes`` or a redirect
costs only that page: a typed :class:`HttpBadAnswer` naming the endpoint, never another error,
and the next request works again. A redirect is never followed: the other origin sees nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from adapters.pbx.http import HttpPbx
from adapters.pbx.http.errors import HttpBadAnswer, HttpRedirected, HttpTooLarge
from adapters.pbx.simulator import PbxSimulator
from tests.pbx.http.conftest import MISSED_CALL, play_calls
from tests.simulator.probe import DOMAIN, KEY

pytestmark = pytest.mark.timeout(60)


async def _records(client: HttpPbx) -> list[str]:
    now = int(time.time())
    return [r.caller_number for r in await client.search(now - 600, now + 1)]


@pytest.mark.parametrize("fault", ["malformed", "huge_string", "huge_stamp", "wrong_types", "huge_number"])
async def test_a_bad_record_costs_only_itself(sim: PbxSimulator, client: HttpPbx, fault: str) -> None:
    await play_calls(sim, MISSED_CALL)
    sim.http_api.inject(fault)
    assert await _records(client) == ["79161234567"]  # the real record of the same page arrives
    assert client.malformed_records >= 1


@pytest.mark.parametrize("fault", ["not_json", "deep", "huge"])
async def test_an_undecodable_page_is_a_typed_error_and_asked_again(
    sim: PbxSimulator, client: HttpPbx, fault: str
) -> None:
    await play_calls(sim, MISSED_CALL)
    sim.http_api.inject(fault)
    with pytest.raises(HttpBadAnswer, match=r"mongo_history/search\.json") as info:
        await _records(client)
    assert "\n" not in str(info.value) and KEY not in str(info.value)
    assert await _records(client) == ["79161234567"]  # the next pass reads the page again


async def test_an_answer_over_the_cap_is_not_read_whole(sim: PbxSimulator) -> None:
    client = HttpPbx(sim.url, DOMAIN, KEY, timeout=10.0, max_bytes=1 << 20)
    try:
        await client.login()
        sim.http_api.inject("huge")
        with pytest.raises(HttpTooLarge, match="over 1048576 bytes"):
            await client.user_list()
    finally:
        await client.close()
    assert sim.http_api.hostile_bytes_sent < 100 << 20  # it stopped, far short of the 200 MB


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[str, list[str]]]:
    """Another origin that records every request it gets (it must get none)."""
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(f"{request.path} {dict(request.headers)} {await request.text()}")
        return web.json_response({"status": "1", "data": {"key_id": "x", "key": "y"}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


@pytest.mark.parametrize("endpoint", ["auth.json", "user/get.json"])
async def test_a_redirect_is_not_followed_and_names_the_status(
    sim: PbxSimulator, elsewhere: tuple[str, list[str]], endpoint: str
) -> None:
    sim.http_api.elsewhere, seen = elsewhere
    client = HttpPbx(sim.url, DOMAIN, KEY, timeout=5.0)
    try:
        if endpoint != "auth.json":
            await client.login()
        sim.http_api.inject("redirect")  # the next request, auth.json included
        with pytest.raises(HttpRedirected, match="HTTP 302") as info:
            await (client.login() if endpoint == "auth.json" else client.user_list())
        assert endpoint in str(info.value)
    finally:
        await client.close()
    assert seen == []  # neither the key (auth.json) nor the session header went elsewhere
