"""/healthz lists every supervised task with ``ok`` or ``failing`` and its last error, and the bot
is ``degraded`` (503) while one fails; /metrics counts ``onpbx_task_failures_total{task}``."""

from __future__ import annotations

import aiohttp

from adapters.http.server import HealthServer, Probe
from bot.supervise import Supervisor


async def _depth() -> int:
    return 0


async def test_a_failing_task_degrades_the_bot_and_is_counted() -> None:
    sup = Supervisor()
    sup.watch("tick")
    history = sup.watch("history")
    server = HealthServer(Probe(lambda: "connected", _depth, dict, tasks=sup.status,
                                task_failures=sup.failures))
    port = await server.start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["status"] == "ok"
            history.failed(OverflowError("cannot convert float infinity to integer"))
            async with http.get(base + "/healthz") as resp:
                body = await resp.json()
                assert resp.status == 503 and body["status"] == "degraded"
            assert body["tasks"]["tick"] == {"state": "ok", "failures": 0, "last_error": ""}
            assert body["tasks"]["history"] == {
                "state": "failing", "failures": 1,
                "last_error": "OverflowError: cannot convert float infinity to integer"}
            async with http.get(base + "/metrics") as resp:
                text = await resp.text()
            assert 'onpbx_task_failures_total{task="history"} 1.0' in text
            assert 'onpbx_task_failures_total{task="tick"} 0.0' in text
    finally:
        await server.stop()
