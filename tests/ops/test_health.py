"""Operability: BOT_HTTP_PORT serves /healthz (link state, outbox depth; 200 connected, 503
otherwise) and /metrics (events in, alerts delivered, outbox depth, reconnects, a command latency
histogram after a command); the JSON log format writes one JSON object per line."""

from __future__ import annotations

import io
import json
import logging
import socket
from pathlib import Path

import aiohttp
import pytest

from adapters.console.adapter import ConsoleChat
from bot.logsetup import setup_logging
from tests.faults.harness import BotRig, call_events, until

pytestmark = pytest.mark.timeout(30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} missing from /metrics")


async def test_healthz_and_metrics(tmp_path: Path) -> None:
    port = _free_port()
    async with BotRig(tmp_path, bot_http_port=port) as rig, aiohttp.ClientSession() as http:
        assert rig.app is not None
        base = f"http://127.0.0.1:{rig.app.health.port}"
        async with http.get(base + "/healthz") as resp:
            assert resp.status == 200
            body = await resp.json()
        assert body == {"status": "ok", "pbx_link": "connected", "outbox_depth": 0}
        await rig.emit(call_events("79161110031", "201", missed=True))
        await rig.wait_missed(1)
        await ConsoleChat(rig.app.core, io.StringIO()).handle_line("/who")
        await rig.sim.drop_connections()
        assert await rig.app.pbx.wait_connected(5.0)
        async with http.get(base + "/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
        assert _metric(text, "onpbx_events_in_total") >= 4
        assert _metric(text, "onpbx_alerts_delivered_total") >= 1
        assert _metric(text, "onpbx_reconnects_total") >= 1
        assert "onpbx_outbox_depth" in text
        assert _metric(text, 'onpbx_command_latency_seconds_count{command="who"}') == 1
        await rig.sim.stop()  # the PBX goes away: degraded
        await until(lambda: not rig.app.pbx.connected, 5.0)  # type: ignore[union-attr]
        async with http.get(base + "/healthz") as resp:
            assert resp.status == 503
            body = await resp.json()
        assert body["status"] == "degraded" and body["pbx_link"] != "connected"
        assert isinstance(body["outbox_depth"], int)


async def test_json_log_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        setup_logging("DEBUG", "json", ["rig-secret-key-0123456789"])
        async with BotRig(tmp_path) as rig:
            assert rig.app is not None
            await rig.emit(call_events("79161110032", "201", missed=True))
            await rig.wait_missed(1)
            logging.getLogger("tests.ops").warning("multi\nline %s", "args", exc_info=ValueError("x\ny"))
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 5
    records = [json.loads(line) for line in lines]  # every line is exactly one JSON object
    for data in records:
        assert isinstance(data, dict) and {"ts", "level", "logger", "msg"} <= data.keys()
    mine = [d for d in records if d["logger"] == "tests.ops"]
    assert len(mine) == 1 and mine[0]["msg"] == "multi\nline args" and "ValueError" in mine[0]["exc"]
    assert any(d["logger"] == "bot.app" for d in records)
