"""Proof: the vendor's own client library, socket.io-client 0.9.16 in Node, against the simulator."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from adapters.pbx.simulator import PbxSimulator
from adapters.pbx.simulator.legs import blf
from tests.simulator.probe import DOMAIN, KEY, make_sim

pytestmark = pytest.mark.timeout(30)


async def start_client(node_dir: Path, sim: PbxSimulator, **cfg: Any) -> asyncio.subprocess.Process:
    config = {"url": sim.url, "key": KEY, "domain": DOMAIN, "duration_ms": 1500, **cfg}
    return await asyncio.create_subprocess_exec(
        "node", str(node_dir / "sim_client.js"), json.dumps(config), cwd=node_dir,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def lines_of(proc: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def events(lines: list[dict[str, Any]], name: str) -> list[Any]:
    return [x["data"] for x in lines if x["ev"] == "event" and x["name"] == name]


async def test_vendor_client_connects_subscribes_commands_and_gets_events(node_dir: Path) -> None:
    sim = make_sim(time_scale=40.0)
    await sim.start()
    proc = await start_client(node_dir, sim, subscribe={"calls": True, "blf": True}, commands=[
        {"name": "make_call", "data": {"from": "201", "to": "79161234567"}, "hash": "abcdEFGH12345678"},
        {"name": "reloadgw", "data": {"num": "74951112233"}, "hash": False},
        {"name": "user_list", "hash": "zyxw9876ZYXW5432"}])
    async with asyncio.timeout(10):
        await sim.wait_for(lambda: len(sim.commands_received) == 4)
    await sim.emit("registration", {"uid": "201", "state": "register", "expires": 60})  # not subscribed
    lines = await lines_of(proc)
    await sim.stop()
    assert lines[0] == {"ev": "connect", "n": 1}
    callbacks = {c["hash"]: c for c in events(lines, "callback")}
    assert set(callbacks) == {"sub1aaaaaaaaaaaaa", "abcdEFGH12345678", "zyxw9876ZYXW5432"}  # none for false
    assert callbacks["sub1aaaaaaaaaaaaa"]["data"]["calls"] is True
    uuid = callbacks["abcdEFGH12345678"]["data"]["uuid"]
    assert events(lines, "channel_create")[0]["uuid"] == uuid
    assert events(lines, "channel_bridge")[0]["aleg_uuid"] == uuid
    assert ("201", "ringing") in [(b["uid"], b["status"]) for b in events(lines, "blf")]
    assert len(callbacks["zyxw9876ZYXW5432"]["data"]) == 6
    assert events(lines, "registration") == []
    assert [n for n, _ in sim.commands_received] == ["subscribe", "make_call", "reloadgw", "user_list"]


async def test_vendor_client_is_refused_with_a_wrong_key(node_dir: Path) -> None:
    sim = make_sim()
    await sim.start()
    lines = await lines_of(await start_client(node_dir, sim, key="wrong", duration_ms=600))
    await sim.stop()
    assert {"ev": "error", "data": "handshake unauthorized"} in lines
    assert not [x for x in lines if x["ev"] == "connect"] and sim.handshakes == 0


async def test_heartbeats_keep_several_vendor_clients_connected(node_dir: Path) -> None:
    sim = make_sim(heartbeat_interval=0.1, heartbeat_timeout=0.5)
    await sim.start()
    procs = [await start_client(node_dir, sim, duration_ms=2500, subscribe={"blf": True}) for _ in range(3)]
    async with asyncio.timeout(10):
        await sim.wait_clients(3)
        await sim.wait_for(lambda: len(sim.sessions) == 3
                           and min(s.heartbeats_answered for s in sim.sessions.values()) >= 4)
        await sim.emit("blf", blf("202", "ringing", "u-1", "79161234567", 1452498750))
    all_lines = [await lines_of(p) for p in procs]
    await sim.stop()
    for lines in all_lines:
        assert [x["ev"] for x in lines if x["ev"] in ("connect", "disconnect")][:1] == ["connect"]
        assert lines.index({"ev": "done"}) < next(i for i, x in enumerate(lines) if x["ev"] == "disconnect")
        assert events(lines, "blf")[0]["uid"] == "202"


async def test_vendor_client_reconnects_after_a_server_side_drop(node_dir: Path) -> None:
    sim = make_sim()
    await sim.start()
    proc = await start_client(node_dir, sim, duration_ms=2500, subscribe={"blf": True}, resubscribe=True)
    async with asyncio.timeout(10):
        await sim.wait_for(lambda: len(sim.commands_received) == 1)
        await sim.drop_connections()
        await sim.wait_for(lambda: len(sim.commands_received) == 2 and sim.connected_clients == 1)
    await sim.emit("blf", blf("203", "answered", "u-2", "201", 1452498750))
    lines = await lines_of(proc)
    await sim.stop()
    evs = [x["ev"] for x in lines]
    assert evs[:2] == ["connect", "event"] and "disconnect" in evs and "reconnect" in evs
    assert {"ev": "connect", "n": 2} in lines and sim.handshakes == 2
    assert events(lines, "blf")[0]["uid"] == "203"
