"""``onpbx-bot demo --api 3`` / ``make demo API=3`` and ``onpbx-bot simulate --api 3``: the same
session and the same PBX on WebSockets API 3.0."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.cli.conftest import ROOT, TRACEBACK, run_cli
from tests.cli.test_demo import external_missed_calls


@pytest.mark.timeout(60)
def test_scripted_demo_on_3_0_shows_each_alert_once(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "demo", "--api", "3", "--duration", "12", timeout=45.0)
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert not TRACEBACK.search(out + done.stderr)
    assert "PBX simulator (API 3.0) at ws://127.0.0.1:" in out
    assert out.count("📵") == len(external_missed_calls()), out  # exactly one alert per missed call
    assert out.count("🟢 Телефон 201 в сети") == 1, out
    # API 3.0 has no list of registrations (user/get.json lists configured extensions), so the bot
    # cannot know 201 was online at start: its first unregister is not news, its return is
    assert "🔴 Телефон 201 не в сети" not in out, out
    assert "> /trunks" in out and "74951112233" in out.split("> /trunks")[1]  # trunks over HTTP
    assert out.rstrip().endswith("demo finished.")


def test_make_demo_passes_the_api() -> None:
    dry = subprocess.run(["make", "-n", "demo", "API=3"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert "onpbx-bot demo --api 3" in dry.stdout
    plain = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "--api" not in plain.stdout


@pytest.mark.timeout(30)
@pytest.mark.parametrize("bad_key,refusal", [("upgrade", "401"), ("close", "4401")])
async def test_simulate_api_3_serves_json_over_a_websocket(bad_key: str, refusal: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "simulate", "--api", "3", "--port", "0", "--domain", "cli.onpbx.ru",
        "--key", "TOPSECRET-KEY", "--no-req-id", "--bad-key", bad_key, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    async with asyncio.timeout(15):
        line = (await proc.stdout.readline()).decode()
    assert line.startswith("onlinePBX simulator for cli.onpbx.ru at ws://127.0.0.1:")
    url = line.split(" at ")[1].strip()
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{url}/?key=TOPSECRET-KEY") as ws:
            subscribe = {"command": "subscribe", "reqId": "1", "data": {"eventGroups": ["calls"]}}
            await ws.send_str(json.dumps(subscribe))
            assert json.loads((await ws.receive()).data) == {"event": "subscribed",
                                                            "data": {"eventGroups": ["calls"]}}
        try:
            async with http.ws_connect(f"{url}/?key=nope") as ws:
                msg = await ws.receive()
                got = str(msg.data)
        except aiohttp.WSServerHandshakeError as exc:
            got = str(exc.status)
        assert got == refusal
    proc.send_signal(signal.SIGTERM)
    out, err = await proc.communicate()
    assert proc.returncode == 0 and b"TOPSECRET" not in out + err + line.encode()
