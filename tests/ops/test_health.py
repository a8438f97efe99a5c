"""Operability: BOT_HTTP_PORT serves /healthz (link state, outbox depth; 200 connected, 503
otherwise) and /metrics (events in, alerts delivered, outbox depth, reconnects, a command latency
histogram after a command); the JSON log format writes one JSON object per line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.console.adapter import ConsoleChat
from bot.domain import ChatRef
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


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url) as resp:
        body = await resp.json() if url.endswith("/healthz") else await resp.text()
        return resp.status, body


TASKS = ("delivery", "events", "pbx_link", "reports", "tick")  # every supervised task, by name


async def _health(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    """/healthz without its task list, after checking every task is listed and ok."""
    status, body = await _get(http, url)
    tasks = body.pop("tasks")
    assert tuple(tasks) == TASKS, tasks
    assert all(t == {"state": "ok", "failures": 0, "last_error": ""} for t in tasks.values()), tasks
    return status, body


async def test_healthz_and_metrics(tmp_path: Path) -> None:
    port = _free_port()
    async with BotRig(tmp_path, bot_http_port=port) as rig, aiohttp.ClientSession() as http:
        app = rig.app
        assert app is not None and rig.store is not None
        base = f"http://127.0.0.1:{app.health.port}"
        assert await _health(http, base + "/healthz") == (
            200, {"status": "ok", "pbx_link": "connected", "outbox_depth": 0})
        _, text = await _get(http, base + "/metrics")
        assert _metric(text, "onpbx_events_in_total") == 0
        assert _metric(text, "onpbx_reconnects_total") == 0
        assert _metric(text, "onpbx_outbox_depth") == 0

        # two missed calls = 8 PBX events, 2 alerts to the console chat (it has a sender)
        for caller in ("79161110031", "79161110033"):
            await rig.emit(call_events(caller, "201", missed=True))
        await rig.wait_missed(2)
        await until(lambda: app.worker.delivered >= 2, 5.0)
        _, text = await _get(http, base + "/metrics")
        assert _metric(text, "onpbx_events_in_total") == 8  # the simulator sends nothing else
        assert _metric(text, "onpbx_alerts_delivered_total") == 2
        assert _metric(text, "onpbx_outbox_depth") == 0 == await rig.store.outbox_depth()

        # a chat on a platform with no sender: its alert stays queued, and both endpoints say so
        stuck = ChatRef("slack", "C-no-sender")
        await rig.store.ensure_chat(stuck, title="", language="en", timezone="UTC")
        await rig.store.bind(stuck, "202")
        app.router.invalidate()
        await rig.emit(call_events("79161110034", "202", missed=True))
        await rig.wait_events_in(12)
        depth = 0
        for _ in range(100):  # the alert is enqueued right after the last event is handled
            depth = await rig.store.outbox_depth()
            if depth:
                break
            await asyncio.sleep(0.02)
        assert depth == 1
        _, text = await _get(http, base + "/metrics")
        assert _metric(text, "onpbx_outbox_depth") == 1
        assert _metric(text, "onpbx_alerts_delivered_total") == 2  # nothing delivered to slack
        assert await _health(http, base + "/healthz") == (
            200, {"status": "ok", "pbx_link": "connected", "outbox_depth": 1})

        # command latency: one observation per command, under the command's own label
        console = ConsoleChat(app.core, io.StringIO())
        await console.handle_line("/who")
        _, text = await _get(http, base + "/metrics")
        assert _metric(text, 'onpbx_command_latency_seconds_count{command="who"}') == 1
        await console.handle_line("/who")
        await console.handle_line("/help")
        _, text = await _get(http, base + "/metrics")
        assert _metric(text, 'onpbx_command_latency_seconds_count{command="who"}') == 2
        assert _metric(text, 'onpbx_command_latency_seconds_count{command="help"}') == 1

        await rig.sim.drop_connections()
        await until(lambda: app.pbx.reconnects >= 1, 5.0)
        assert await app.pbx.wait_connected(5.0)
        _, text = await _get(http, base + "/metrics")
        assert _metric(text, "onpbx_reconnects_total") == 1

        await rig.sim.stop()  # the PBX goes away: degraded, and the queued alert is still counted
        await until(lambda: not app.pbx.connected, 5.0)
        status, body = await _get(http, base + "/healthz")
        assert status == 503
        assert body["status"] == "degraded" and body["pbx_link"] != "connected"
        assert body["outbox_depth"] == 1


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
    assert any(d["logger"] == "bot.cli.app" for d in records)
