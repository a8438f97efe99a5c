"""``onpbx-bot simulate`` as a real process: one line with the URL, no key, clean exit on SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from adapters.pbx.simulator import cli

pytestmark = pytest.mark.timeout(30)
ROOT = Path(__file__).parents[2]


async def simulate(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "simulate", *args, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_simulate_prints_the_url_serves_and_stops_on_sigterm() -> None:
    proc = await simulate("--port", "0", "--domain", "cli.onpbx.ru", "--key", "TOPSECRET-KEY", "--seed", "5",
                          "--rate", "30", "--time-scale", "10", "--heartbeat-interval", "0.5",
                          "--scenario", str(ROOT / "adapters/pbx/simulator/demo.json"))
    assert proc.stdout is not None and proc.stderr is not None
    async with asyncio.timeout(15):
        line = (await proc.stdout.readline()).decode()
    assert line.startswith("onlinePBX simulator for cli.onpbx.ru at http://127.0.0.1:")
    url = line.split(" at ")[1].strip()
    async with aiohttp.ClientSession() as http:
        q = {"key": "TOPSECRET-KEY", "domain": "cli.onpbx.ru"}
        async with http.get(f"{url}/socket.io/1/", params=q) as r:
            assert r.status == 200 and (await r.text()).endswith(":60:60:websocket")
        async with http.get(f"{url}/socket.io/1/", params={**q, "key": "nope"}) as r:
            assert r.status == 403
    proc.send_signal(signal.SIGTERM)
    out, err = await proc.communicate()
    assert proc.returncode == 0
    assert b"TOPSECRET" not in out + err + line.encode()


def test_simulate_refuses_a_bad_scenario_in_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"steps": [{"at": 1}]}', encoding="utf-8")
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["--port", "0", "--scenario", str(bad)])) == 2
    assert "step 1: needs exactly one of" in caplog.text
    assert cli.run(parser.parse_args(["--time-scale", "0"])) == 2
