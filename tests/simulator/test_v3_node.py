"""Proof for the 3.0 side: the ``ws`` package in Node (what public 3.0 integrations use) against
the simulator, for every reading of the contract's inferred points."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from adapters.pbx.simulator.scenario import parse_scenario
from adapters.pbx.simulator.v3_server import PbxSimulatorV3, V3Knobs
from tests.simulator.probe import DOMAIN, KEY

pytestmark = pytest.mark.timeout(30)
ALL_GROUPS = ["calls", "user_blf", "user_registration", "gateway"]
MISSED = {"from": "79161234567", "to": "201", "ring": ["201", "202"], "outcome": "missed", "ring_s": 1,
          "cause": "NO_ANSWER"}  # fmt: skip
ANSWERED = {"from": "74951230000", "to": "201", "ring": ["201"], "outcome": "answered", "answered_by": "201",
            "ring_s": 1, "talk_s": 2}  # fmt: skip


async def sim_with(**knobs: Any) -> PbxSimulatorV3:
    sim = PbxSimulatorV3(DOMAIN, KEY, knobs=V3Knobs(**knobs), time_scale=40.0)
    await sim.start()
    return sim


async def run_client(node_dir: Path, sim: PbxSimulatorV3, key: str = KEY, **cfg: Any) -> list[dict[str, Any]]:
    config = {"url": f"{sim.url}/?key={key}", "duration_ms": 1500, **cfg}
    proc = await asyncio.create_subprocess_exec(
        "node", str(node_dir / "ws_client.js"), json.dumps(config), cwd=node_dir,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def frames(lines: list[dict[str, Any]], event: str | None = None) -> list[dict[str, Any]]:
    got = [x["data"] for x in lines if x["ev"] == "message"]
    return [f for f in got if event is None or f["event"] == event]


async def test_subscribe_events_commands_and_ping(node_dir: Path) -> None:
    sim = await sim_with(stamp_unit="ms")
    task = asyncio.create_task(run_client(node_dir, sim, subscribe=ALL_GROUPS, ping=True, duration_ms=2500,
                                          commands=[{"command": "hangup_channel", "data": {"uuid": "nope"},
                                                     "reqId": "r-1"},
                                                    {"command": "make_call", "data": {}, "reqId": "r-2"}]))
    async with asyncio.timeout(10):
        await sim.wait_for(lambda: sim.commands_total >= 3)
    await sim.play(parse_scenario({"steps": [{"at": 0.0, "call": MISSED}, {"at": 0.0, "call": ANSWERED}]}),
                   wait=True)
    lines = await task
    await sim.stop()
    assert lines[0] == {"ev": "open"} and {"ev": "pong", "data": "p1"} in lines
    assert frames(lines, "subscribed") == [{"event": "subscribed", "reqId": "sub-1",
                                            "data": {"eventGroups": ALL_GROUPS}}]
    err = frames(lines, "error_hangup_channel")[0]
    assert err == {"event": "error_hangup_channel", "reqId": "r-1", "message": "NO_SUCH_CHANNEL"}
    assert frames(lines, "error_make_call")[0]["reqId"] == "r-2"  # not a 3.0 command
    creates = frames(lines, "channel_create")
    assert len(creates) == 5 and all(c["data"]["call_uuid"] for c in creates)
    assert len({c["data"]["call_uuid"] for c in creates}) == 2  # two calls, legs grouped by call_uuid
    assert 1e12 < creates[0]["data"]["created_stamp"] < 1e14  # milliseconds, as the knob says
    bridge = frames(lines, "channel_bridge")[0]["data"]
    assert len(bridge["uuids"]) == 2 and "aleg_uuid" not in bridge
    ends = {e["data"]["caller_number"]: e["data"] for e in frames(lines, "call_end")}
    assert ends["79161234567"]["type"] == "inbound" and ends["79161234567"]["user_talk_time"] == 0
    assert ends["74951230000"]["user_talk_time"] >= 1
    assert {c["data"]["call_uuid"] for c in creates} == {e["uuid"] for e in ends.values()}
    assert {f["data"]["uid"] for f in frames(lines, "user_blf")} == {"201", "202"}
    assert len(frames(lines, "gateway_status")) == len(sim.roster.trunks)


async def test_camel_case_groups_are_refused_and_req_id_may_not_come_back(node_dir: Path) -> None:
    sim = await sim_with(echo_req_id=False)
    lines = await run_client(node_dir, sim, subscribe=["calls", "userBlf"])
    await sim.stop()
    assert frames(lines) == [{"event": "error_subscribe", "message": "Unknown event group"}]


@pytest.mark.parametrize("unit,low,high", [("s", 1e9, 1e11), ("us", 1e15, 1e17)])
async def test_stamp_units(node_dir: Path, unit: str, low: float, high: float) -> None:
    sim = await sim_with(stamp_unit=unit)
    task = asyncio.create_task(run_client(node_dir, sim, subscribe=["calls"], duration_ms=2000))
    async with asyncio.timeout(10):
        await sim.wait_for(lambda: sim.connected_clients == 1 and sim.commands_total == 1)
    await sim.play(parse_scenario({"steps": [{"at": 0.0, "call": MISSED}]}), wait=True)
    lines = await task
    await sim.stop()
    stamps = [f["data"]["created_stamp"] for f in frames(lines, "channel_create")]
    assert stamps and all(low < s < high for s in stamps)


@pytest.mark.parametrize("how", ["upgrade", "close", "event"])
async def test_a_bad_key_is_refused(node_dir: Path, how: str) -> None:
    sim = await sim_with(bad_key=how)
    lines = await run_client(node_dir, sim, key="wrong", subscribe=["calls"], duration_ms=800)
    await sim.stop()
    if how == "upgrade":
        assert {"ev": "unexpected-response", "status": 401} in lines
    elif how == "close":
        assert {"ev": "close", "code": 4401, "reason": "invalid key"} in lines
    else:
        assert frames(lines) == [{"event": "error_subscribe", "reqId": "sub-1", "message": "Invalid API key"}]
    assert sim.refused == 1 and not frames(lines, "subscribed")
