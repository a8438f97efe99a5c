"""Issue 19 §1 through the real app: the simulator's HTTP API answers every history read (the
settler's and the daily report's) with a hostile record or page while a missed call falls into a
link gap and another one rings live. The bot alerts both, settles the rest, shows a failing page
as the failing ``history`` task on /healthz (a bad record costs only itself: nothing fails), and
its tick loop still marks a lapsed phone offline afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.reports import report_key
from tests.faults.harness import CHAT, until, until_async
from tests.history.rig import MISSED, HistoryRig
from tests.ops.test_health import _free_port

pytestmark = pytest.mark.timeout(60)
RECORD_FAULTS = ["huge_number", "huge_string", "huge_stamp", "wrong_types"]
PAGE_FAULTS = ["deep", "huge", "redirect", "not_json"]
LIVE = {**MISSED, "from": "74951231234"}
SHORT = {"uid": "209", "state": "register", "agent": "Yealink", "ip": "10.0.0.5", "port": 5060, "expires": 1}


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[str, list[str]]]:
    """The origin a redirect points to; it records what reaches it (nothing may)."""
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(f"{request.path} {await request.text()}")
        return web.Response(status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    await runner.cleanup()


async def _health(rig: HistoryRig, http: aiohttp.ClientSession) -> dict[str, Any]:
    assert rig.app is not None and rig.app.health is not None
    async with http.get(f"http://127.0.0.1:{rig.app.health.port}/healthz") as resp:
        body: dict[str, Any] = await resp.json()
        body["http_status"] = resp.status
        return body


async def _hostile_history(tmp_path: Path, fault: str, elsewhere: tuple[str, list[str]]) -> None:
    extra = {"bot_http_port": _free_port(), "onpbx_http_max_mb": 1.0, "bot_reg_grace_s": 0.0}
    async with HistoryRig(tmp_path, **extra) as rig, aiohttp.ClientSession() as http:
        app, store = rig.app, rig.store
        assert app is not None and store is not None
        rig.sim.http_api.elsewhere = elsewhere[0]
        await store.set_setting(report_key(CHAT), "00:00")  # the daily report reads the history too
        rig.sim.http_api.inject(fault, times=10_000)  # every read from now on, until cleared
        await rig.gap(MISSED) if fault in RECORD_FAULTS else await rig.sim.outage(0.4)
        if fault in PAGE_FAULTS:
            await rig.play(MISSED)  # in the gap: only the history knows it
            await until_async(lambda: _failing(rig, http), 20.0)
            health = await _health(rig, http)
            assert health["status"] == "degraded" and health["http_status"] == 503
            assert health["tasks"]["history"]["last_error"] and health["pbx_link"] == "connected"
            rig.sim.http_api.faults.clear()  # the API heals: the page is asked again and settles
            await until(lambda: rig.settler.state == "ok" and not rig.settler.status()["gap_open"], 20.0)
        await rig.play(LIVE)  # a live call still alerts
        await rig.settle()
        texts = [t for t in rig.missed_texts() if t.startswith("📵")]  # not the daily report
        assert len([t for t in texts if "while the PBX link was down" in t]) == 1, texts
        assert any("+7 495 123-12-34" in t for t in texts) and len(texts) == 2, texts
        if fault in RECORD_FAULTS:
            assert app.counters()["history_malformed"][1] >= 1
        health = await _health(rig, http)
        assert health["tasks"]["history"]["state"] == "ok" and health["tasks"]["tick"]["state"] == "ok"
        await store.bind(CHAT, "209")
        app.router.invalidate()
        await rig.sim.emit("registration", SHORT)  # 209 registers for 1 s, then lapses
        await until(lambda: any("209 is offline" in s.text for s in rig.sender.to(CHAT)), 10.0)
        assert elsewhere[1] == []  # a redirect was never followed
        assert any("Inbound" in s.text for s in rig.sender.to(CHAT))  # the daily report went out
        assert all(not t.done() for t in app.supervisor._tasks.values())


async def _failing(rig: HistoryRig, http: aiohttp.ClientSession) -> bool:
    return (await _health(rig, http)).get("tasks", {}).get("history", {}).get("state") == "failing"


@pytest.mark.parametrize("fault", RECORD_FAULTS + PAGE_FAULTS)
async def test_a_hostile_history_costs_only_the_record_or_page(
    tmp_path: Path, fault: str, elsewhere: tuple[str, list[str]]
) -> None:
    await _hostile_history(tmp_path, fault, elsewhere)
