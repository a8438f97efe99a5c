"""The Socket.IO 0.9 wire of the simulator: handshake, errors, heartbeats, acks, filtering."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from adapters.pbx.simulator.legs import blf
from adapters.pbx.simulator.scenario import parse_scenario
from adapters.pbx.v2.socketio09 import ACK, DISCONNECT, DISCONNECT_PACKET, EVENT, HEARTBEAT, Packet
from tests.simulator.probe import ALL, DOMAIN, KEY, Probe, make_sim

pytestmark = pytest.mark.timeout(20)


async def test_handshake_answers_sid_timeouts_and_websocket_only() -> None:
    sim = make_sim(heartbeat_timeout=60)
    await sim.start()
    async with aiohttp.ClientSession() as http:
        q = {"key": KEY, "domain": DOMAIN, "t": "1375466463124"}
        async with http.get(f"{sim.url}/socket.io/1/", params=q, headers={"Origin": "https://my.app"}) as r:
            sid, hb, close, transports = (await r.text()).split(":")
            assert (r.status, r.content_type) == (200, "text/plain")
            assert (hb, close, transports) == ("60", "60", "websocket")
            assert len(sid) == 20 and r.headers["Access-Control-Allow-Origin"] == "https://my.app"
        for bad in ({**q, "key": "wrong"}, {**q, "domain": "other.onpbx.ru"}, {"t": "1"}):
            async with http.get(f"{sim.url}/socket.io/1/", params=bad) as r:
                assert (r.status, await r.text()) == (403, "handshake unauthorized")
    assert sim.handshakes == 1
    await sim.stop()


async def test_unknown_session_gets_7_1_0_and_is_closed() -> None:
    sim = make_sim()
    await sim.start()
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{sim.url}/socket.io/1/websocket/nosuchsid")
        assert (await ws.receive(2)).data == "7:::1+0"
        assert (await ws.receive(2)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert sim.connected_clients == 0
    await sim.stop()


async def test_heartbeats_keep_an_answering_client_and_drop_a_silent_one() -> None:
    sim = make_sim(heartbeat_interval=0.1, heartbeat_timeout=0.3)
    await sim.start()
    good, bad = await Probe.open(sim), await Probe.open(sim)
    bad.answer_heartbeats = False
    reader = asyncio.create_task(good.recv(1.0))  # only heartbeats arrive, and the probe answers them
    assert (await bad.recv()).type == HEARTBEAT  # 2:: comes after the interval
    with pytest.raises(ConnectionError):
        await bad.recv(2)  # ... and after the timeout the server closes the socket
    assert sim.sessions.get(bad.sid) is None or sim.sessions[bad.sid].dropped_reason == "heartbeat timeout"
    with pytest.raises(TimeoutError):
        await reader
    assert sim.sessions[good.sid].heartbeats_answered >= 4 and sim.connected_clients == 1
    await good.close()
    await bad.close()
    await sim.stop()


async def test_message_ids_are_acked_and_disconnect_is_echoed() -> None:
    sim = make_sim()
    await sim.start()
    p = await Probe.open(sim)
    await p.send(Packet(EVENT, id="7", name="trunk_list", args=({},)))
    assert await p.recv() == Packet(ACK, ack_id="7")
    await p.send(Packet(EVENT, id="8", ack_data=True, name="reloadgw", args=({"num": "74951112233"},)))
    assert await p.recv() == Packet(ACK, ack_id="8", args=({"status": True},))
    await p.ws.send_str("5:::{not json")  # garbage is dropped, the session lives on
    await p.send(DISCONNECT_PACKET)
    assert (await p.recv()).type == DISCONNECT
    await p.close()
    await sim.stop()


async def test_events_reach_only_sockets_subscribed_to_their_group() -> None:
    sim = make_sim()
    await sim.start()
    nothing, calls = await Probe.open(sim), await Probe.open(sim, {"calls": True})
    lamps = await Probe.open(sim, ALL)
    await lamps.command("subscribe", {"events": {"calls": False}})  # a later subscribe changes the map
    scenario = parse_scenario({"steps": [
        {"at": 0, "call": {"from": "79161234567", "to": "201", "outcome": "missed", "ring_s": 1}},
        {"at": 0, "register": {"ext": "202"}},
        {"at": 0, "event": "channel_hold", "data": {"uuid": "u-1"}},
    ]})
    await sim.play(scenario, wait=True)
    await sim.emit("blf", blf("203", "unregistered", "", "", 0))
    for p in (nothing, calls, lamps):
        await p.command("trunk_list")  # a round trip: everything sent before it has arrived
    assert nothing.events == []
    assert {n for n, _ in calls.events} == {"channel_create", "channel_destroy", "channel_hold"}
    assert {n for n, _ in lamps.events} == {"blf", "registration"}
    assert len(sim.emitted) == len(calls.events) + len(lamps.events)
    for p in (nothing, calls, lamps):
        await p.close()
    await sim.stop()


async def test_many_clients_at_once_and_a_server_side_drop() -> None:
    sim = make_sim()
    await sim.start()
    probes = await asyncio.gather(*(Probe.open(sim, {"blf": True}) for _ in range(30)))
    assert sim.connected_clients == 30
    await sim.emit("blf", blf("201", "ringing", "u", "79161234567", 0))
    got = await asyncio.gather(*(p.recv() for p in probes))
    assert {(g.name, g.args[0]["uid"]) for g in got} == {("blf", "201")}
    await sim.drop_connections()
    for p in probes:
        with pytest.raises(ConnectionError):
            await p.recv(2)
        await p.close()
    async with asyncio.timeout(3):
        await sim.wait_for(lambda: sim.connected_clients == 0)
    await sim.stop()


async def test_wait_emitted_counts_events() -> None:
    sim = make_sim()
    await sim.start()
    waiter = asyncio.create_task(sim.wait_emitted(3))
    for i in range(3):
        await sim.emit("registration", {"uid": f"20{i}", "state": "register", "expires": 60})
    async with asyncio.timeout(2):
        await waiter
    assert sorted(sim.engine.book.registered())[:3] == ["200", "201", "202"]
    await sim.stop()


async def test_random_traffic_flows_to_subscribers() -> None:
    sim = make_sim(rate_per_min=600, time_scale=50, seed=3)
    await sim.start()
    p = await Probe.open(sim, ALL)
    await p.until(lambda ev: {"channel_create", "registration", "blf"} <= {n for n, _ in ev}, within=8)
    assert all(isinstance(e, dict) for _, e in p.events)
    await p.close()
    await sim.stop()


async def test_a_frozen_link_goes_silent_without_closing_and_comes_back() -> None:
    sim = make_sim(heartbeat_interval=0.05, heartbeat_timeout=0.2)
    await sim.start()
    p = await Probe.open(sim, ALL)
    p.answer_heartbeats = False
    assert (await p.recv()).type == HEARTBEAT
    await p.send(Packet(HEARTBEAT))
    sim.freeze()
    await sim.emit("blf", blf("201", "ringing", "u", "79161234567", 0))
    with pytest.raises(TimeoutError):
        await p.recv(0.4)  # nothing at all, for longer than the heartbeat timeout
    assert sim.connected_clients == 1 and sim.events_sent == 0
    sim.freeze(False)
    p.answer_heartbeats = True
    await sim.emit("blf", blf("202", "ringing", "u", "79161234567", 0))
    async with asyncio.timeout(2):
        await sim.wait_sent(1)
    await p.until(lambda ev: [e["uid"] for _, e in ev] == ["202"])
    await p.close()
    await sim.stop()


async def test_a_handshake_never_followed_by_a_websocket_expires() -> None:
    sim = make_sim(close_timeout=0.05)
    await sim.start()
    q = {"key": KEY, "domain": DOMAIN}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sim.url}/socket.io/1/", params=q) as r:
            stale = (await r.text()).split(":")[0]
        assert sim.pending_handshakes == 1
        await asyncio.sleep(0.1)
        async with http.get(f"{sim.url}/socket.io/1/", params=q) as r:
            assert r.status == 200
        assert sim.pending_handshakes == 1  # the stale sid was dropped, not kept forever
        ws = await http.ws_connect(f"{sim.url}/socket.io/1/websocket/{stale}")
        assert (await ws.receive(2)).data == "7:::1+0"  # too late: handshake again
        await ws.close()
    await sim.stop()
