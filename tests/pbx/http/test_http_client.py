"""HttpPbx end to end against the simulator's HTTP API: auth, re-auth, back-off, retries, typed
errors, history windows and pages, malformed records, users, trunks, click-to-call."""

from __future__ import annotations

import logging
import time

import aiohttp
import pytest

from adapters.pbx.http import HttpPbx
from adapters.pbx.http.errors import (
    HttpAuthError,
    HttpDomainError,
    HttpRateLimited,
    HttpServerError,
    HttpUnavailable,
)  # fmt: skip
from adapters.pbx.simulator import PbxSimulator
from bot.errors import PbxError
from tests.pbx.http.conftest import Sleeps, by_caller, play_calls
from tests.simulator.probe import DOMAIN, KEY

MISSED = {"from": "79161234567", "name": "Иван", "to": "500", "outcome": "missed", "ring_s": 1}
ANSWERED = {"from": "74957654321", "to": "500", "answered_by": "202", "ring_s": 1, "talk_s": 3}


async def test_history_has_missed_and_answered_calls_with_who_rang(
    sim: PbxSimulator, client: HttpPbx
) -> None:
    await play_calls(sim, MISSED, ANSWERED)
    now = int(time.time())
    records = await client.search(now - 60, now + 1)
    missed, answered = by_caller(records, "79161234567"), by_caller(records, "74957654321")
    assert missed.missed and missed.direction == "inbound" and missed.destination == "500"
    assert sorted(missed.extensions) == ["201", "202", "203"] and missed.caller_name == "Иван"
    assert not answered.missed and answered.talk_s > 0 and answered.answered_by == "202"
    assert sim.http_api.logins == 1 and client.logins == 1


async def test_session_key_expiry_mid_run_logs_in_again_once(sim: PbxSimulator, client: HttpPbx) -> None:
    assert [u.uid for u in await client.user_list()][:2] == ["201", "202"]
    sim.http_api.expire_sessions()
    users = await client.user_list()
    assert users[0].name == "Анна Смирнова"
    sim.http_api.inject("isNotAuth")
    assert (await client.trunk_list())[0].extension == "74951112233"
    assert client.logins == 3 and sim.http_api.requests.count("auth.json") == 3


async def test_a_refused_key_is_a_typed_one_line_error_without_the_key(
    sim: PbxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = HttpPbx(sim.url, DOMAIN, "wrong-secret-key")
    with pytest.raises(HttpAuthError) as info:
        await bad.user_list()
    await bad.close()
    assert "WRONG_API_KEY" in str(info.value) and "\n" not in str(info.value)
    assert "wrong-secret-key" not in str(info.value) + caplog.text
    other = HttpPbx(sim.url, "other.onpbx.ru", KEY)
    with pytest.raises(HttpDomainError, match="WRONG_DOMAIN"):
        await other.login()
    await other.close()


async def test_the_key_and_session_key_never_reach_a_log_line(
    sim: PbxSimulator, client: HttpPbx, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sim.http_api.inject("500")
    sim.http_api.inject("isNotAuth")
    await client.user_list()
    sessions = [k for k, _ in sim.http_api._sessions.values()]
    assert sessions and caplog.text
    for secret in [KEY, *sessions]:
        assert secret not in caplog.text


async def test_429_backs_off_and_then_succeeds(sim: PbxSimulator, client: HttpPbx, sleeps: Sleeps) -> None:
    sim.http_api.inject("429", times=2)
    assert await client.trunk_list()
    assert len(sleeps.delays) == 2 and sleeps.delays[1] > sleeps.delays[0]


async def test_persistent_429_and_5xx_become_typed_errors(sim: PbxSimulator, client: HttpPbx) -> None:
    sim.http_api.inject("429", times=3)
    with pytest.raises(HttpRateLimited, match=r"TOO_MANY_REQUESTS|429"):
        await client.trunk_list()
    sim.http_api.inject("500", times=3)
    with pytest.raises(HttpServerError, match="HTTP 500"):
        await client.trunk_list()
    sim.http_api.inject("500", times=2)
    assert await client.trunk_list()  # the third try gets through


async def test_a_slow_answer_times_out_and_is_retried(sim: PbxSimulator, sleeps: Sleeps) -> None:
    sim.http_api.slow_s = 1.0
    client = HttpPbx(sim.url, DOMAIN, KEY, timeout=0.3, attempts=2, sleep=sleeps)
    await client.login()
    sim.http_api.inject("slow")
    assert await client.user_list()  # first try timed out, second answered
    sim.http_api.inject("slow", times=2)
    with pytest.raises(HttpUnavailable, match="not reachable after 2 tries"):
        await client.user_list()
    await client.close()


async def test_an_unreachable_api_is_pbx_unavailable(sleeps: Sleeps) -> None:
    client = HttpPbx("http://127.0.0.1:9", DOMAIN, KEY, timeout=0.5, attempts=2, sleep=sleeps)
    with pytest.raises(HttpUnavailable) as info:
        await client.search(0, 10)
    assert isinstance(info.value, PbxError) and KEY not in str(info.value)
    await client.close()


async def test_malformed_records_are_skipped_and_counted(sim: PbxSimulator, client: HttpPbx) -> None:
    await play_calls(sim, MISSED)
    sim.http_api.inject("malformed")
    now = int(time.time())
    records = await client.search(now - 60, now + 1)
    assert [r.caller_number for r in records] == ["79161234567"]
    assert client.malformed_records == 3


async def test_long_spans_are_cut_into_7_day_windows(sim: PbxSimulator, client: HttpPbx) -> None:
    await play_calls(sim, MISSED)
    now = int(time.time())
    records = await client.search(now - 20 * 86400, now + 1)
    assert len(records) == 1
    assert sim.http_api.requests.count("mongo_history/search.json") == 3  # 7 + 7 + 6 days


async def test_the_simulator_refuses_a_window_over_7_days(sim: PbxSimulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{sim.url}/{DOMAIN}/mongo_history/search.json",
            data={"start_stamp_from": "0", "start_stamp_to": str(8 * 86400)},
        ) as r:
            body = await r.json()
    assert body["isNotAuth"] is True  # no session header: refused before the window check
    client = HttpPbx(sim.url, DOMAIN, KEY)
    with pytest.raises(PbxError, match="VALIDATION_FAILED"):
        await client._call(
            "mongo_history/search.json", {"start_stamp_from": "0", "start_stamp_to": str(8 * 86400)}
        )
    await client.close()


async def test_full_pages_are_read_on(sim: PbxSimulator, sleeps: Sleeps) -> None:
    sim.http_api.page_limit = 2
    calls = [{**MISSED, "from": f"7916000000{i}"} for i in range(5)]
    await play_calls(sim, *calls, every_s=1.5)  # the API pages by start second (no offset)
    client = HttpPbx(sim.url, DOMAIN, KEY, page_limit=2, sleep=sleeps)
    now = int(time.time())
    records = await client.search(now - 60, now + 10)
    assert sorted(r.caller_number for r in records) == sorted(c["from"] for c in calls)
    assert sim.http_api.requests.count("mongo_history/search.json") >= 3
    await client.close()


async def test_click_to_call_over_http_rings_the_extension(sim: PbxSimulator, client: HttpPbx) -> None:
    uuid = await client.make_call("201", "79161234567")
    assert uuid and uuid in sim.engine.book.channels
    assert client.capabilities == frozenset({"make_call", "user_list", "trunk_list"})
