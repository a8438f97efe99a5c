"""All 13 commands over a real websocket: replies, errors and their effects on the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.pbx.simulator import PbxSimulator
from adapters.pbx.v2.socketio09 import event
from tests.simulator.probe import ALL, DOMAIN, Probe, make_sim

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    s = make_sim(time_scale=20.0)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def probe(sim: PbxSimulator) -> AsyncIterator[Probe]:
    p = await Probe.open(sim, ALL)
    yield p
    await p.close()


def names(probe: Probe, name: str) -> list[Any]:
    return [data for n, data in probe.events if n == name]


OK_CASES = [
    ("reboot_phone", {"num": "202", "model": "yealink"}),
    ("reloadgw", {"num": "74951112233"}),
    ("sip_message", {"num": "202", "text": "Перезвоните клиенту"}),
    ("flush_reg", {"num": "203"}),
    ("message", {"data": "Hi All!", "target": "domain"}),
]
ERROR_CASES = [
    ("make_call", {"to": "79161234567"}, "INVALID_PARAMETERS"),
    ("make_call", {"from": "299", "to": "79161234567"}, "NO_SUCH_EXTENSION"),
    ("make_call", {"from": "201", "to": "77"}, "NO_ROUTE_DESTINATION"),
    ("make_call", {"from": "201", "to": "202", "gate_to": "111"}, "NO_SUCH_TRUNK"),
    ("transfer", {"uuid": "no-such-uuid", "to": "202"}, "NO_SUCH_CHANNEL"),
    ("bridge", {"uuid": "x", "to_uuid": "y"}, "NO_SUCH_CHANNEL"),
    ("eavesdrop", {"uuid": "x", "from": "201"}, "NO_SUCH_CHANNEL"),
    ("hangup_call", {}, "INVALID_PARAMETERS"),
    ("hangup_call", {"uuid": "ac1fc137-265e-460b-8f5d-151bd389484e"}, "NO_SUCH_CHANNEL"),
    ("subscribe", {"events": "calls"}, "INVALID_PARAMETERS"),
    ("reboot_phone", {"num": "202", "model": "polycom"}, "UNSUPPORTED_MODEL"),
    ("reboot_phone", {"num": "999", "model": "cisco"}, "NO_SUCH_EXTENSION"),
    ("reloadgw", {"num": "70000000000"}, "NO_SUCH_TRUNK"),
    ("sip_message", {"num": "202", "text": "x" * 201}, "MESSAGE_TOO_LONG"),
    ("sip_message", {"num": "202"}, "INVALID_PARAMETERS"),
    ("flush_reg", {"num": "777"}, "NO_SUCH_EXTENSION"),
    ("message", {"data": "hi", "target": "everyone"}, "INVALID_PARAMETERS"),
]


@pytest.mark.parametrize(("name", "data"), OK_CASES)
async def test_simple_commands_answer_status_true(probe: Probe, name: str, data: dict[str, Any]) -> None:
    assert await probe.command(name, data) == {"status": True, "hash": f"h{2:015d}"}


@pytest.mark.parametrize(("name", "data", "code"), ERROR_CASES)
async def test_bad_input_is_refused_with_a_code(
    probe: Probe, name: str, data: dict[str, Any], code: str
) -> None:
    reply = await probe.command(name, data)
    assert (reply["status"], reply["text"]) == (False, code)


async def test_sip_message_of_exactly_200_characters_is_fine(probe: Probe) -> None:
    assert (await probe.command("sip_message", {"num": 202, "text": "я" * 200}))["status"] is True


async def test_subscribe_returns_the_whole_map(sim: PbxSimulator) -> None:
    p = await Probe.open(sim)
    events = {"calls": False, "blf": True, "callback": True, "bogus": 1}
    reply = await p.command("subscribe", {"events": events})
    assert reply == {"status": True, "text": "Subscriptions are updated", "hash": reply["hash"], "data": {
        "calls": False, "blf": True, "fax": False, "conference": False, "messages": False, "callback": True,
        "api": False, "registration": False}}
    await p.close()


async def test_lists_come_from_the_roster(probe: Probe, sim: PbxSimulator) -> None:
    trunks = (await probe.command("trunk_list"))["data"]
    assert trunks[0] == {"extension": "74951112233", "desc": "Мультифон", "dest": "500",
                         "uri": "74951112233@sip.multifon.ru", "status": "REGED"}
    users = (await probe.command("user_list"))["data"]
    assert [u["uid"] for u in users] == [e.num for e in sim.roster.extensions]
    assert set(users[0]) == {"name", "local_ip", "local_port", "exp", "realm", "uid", "ip", "port", "agent"}
    assert users[0]["realm"] == DOMAIN and users[0]["name"] == "Анна Смирнова"
    await probe.command("flush_reg", {"num": "201"})
    assert "201" not in [u["uid"] for u in (await probe.command("user_list"))["data"]]
    assert {"uid": "201", "status": "unregistered"}.items() <= names(probe, "blf")[-1].items()


async def test_no_callback_when_the_hash_is_false_or_absent(probe: Probe, sim: PbxSimulator) -> None:
    await probe.send(event("reloadgw", {"num": "74951112233", "callback_hash": False}))
    await probe.send(event("reloadgw", {"num": "74951112233"}))
    reply = await probe.command("trunk_list")
    assert reply["hash"] == f"h{2:015d}"  # the first callback this probe saw after subscribe
    assert [n for n, _ in list(sim.commands_received)[-3:]] == ["reloadgw", "reloadgw", "trunk_list"]


async def test_make_call_then_hangup_call_ends_both_legs(probe: Probe) -> None:
    reply = await probe.command("make_call", {"from": "201", "to": "79161234567"})
    uuid = reply["data"]["uuid"]
    await probe.until(lambda ev: any(n == "channel_bridge" for n, _ in ev), within=5)
    bridge = names(probe, "channel_bridge")[0]
    assert bridge["aleg_uuid"] == uuid
    assert (await probe.command("hangup_call", {"uuid": uuid})) == {"status": True, "hash": f"h{3:015d}"}
    gone = {d["uuid"]: d["hangup_cause"] for d in names(probe, "channel_destroy")}
    assert gone == {uuid: "NORMAL_CLEARING", bridge["bleg_uuid"]: "NORMAL_CLEARING"}
    assert ("201", "hangup") in [(b["uid"], b["status"]) for b in names(probe, "blf")]
    assert (await probe.command("hangup_call", {"uuid": uuid}))["text"] == "NO_SUCH_CHANNEL"


async def test_transfer_moves_the_caller_to_a_new_leg(probe: Probe, sim: PbxSimulator) -> None:
    uuid = (await probe.command("make_call", {"from": "201", "to": "79161234567"}))["data"]["uuid"]
    await probe.until(lambda ev: any(n == "channel_bridge" for n, _ in ev), within=5)
    peer = names(probe, "channel_bridge")[0]["bleg_uuid"]
    assert (await probe.command("transfer", {"uuid": peer, "to": "203"}))["status"] is True
    await probe.until(lambda ev: len([n for n, _ in ev if n == "channel_bridge"]) == 2, within=5)
    app = names(probe, "channel_application")[0]
    assert app == {"uuid": peer, "application": "transfer", "application_data": "203"}
    assert names(probe, "channel_destroy")[0]["uuid"] == uuid  # 201 dropped out
    new = names(probe, "channel_create")[-1]
    assert (new["endpoint"], names(probe, "channel_bridge")[1]["bleg_uuid"]) == (f"203@{DOMAIN}", new["uuid"])


async def test_eavesdrop_and_bridge(probe: Probe, sim: PbxSimulator) -> None:
    one = (await probe.command("make_call", {"from": "201", "to": "79161234567"}))["data"]["uuid"]
    two = (await probe.command("make_call", {"from": "202", "to": "79031112233"}))["data"]["uuid"]
    spy = (await probe.command("eavesdrop", {"uuid": one, "from": "204"}))["data"]["uuid"]
    await probe.until(lambda ev: any(n == "channel_application" for n, _ in ev), within=5)
    assert names(probe, "channel_application")[0] == {"uuid": spy, "application": "eavesdrop",
                                                      "application_data": one}
    assert (await probe.command("bridge", {"uuid": one, "to_uuid": two}))["status"] is True

    def bridged(ev: object) -> bool:
        return (one, two) in [(b["aleg_uuid"], b["bleg_uuid"]) for b in names(probe, "channel_bridge")]

    await probe.until(bridged, within=5)
    assert (await probe.command("bridge", {"uuid": one, "to_uuid": one}))["text"] == "INVALID_PARAMETERS"
    await probe.command("hangup_call", {"uuid": one})
    gone = {d["uuid"] for d in names(probe, "channel_destroy")}
    assert {one, two, spy} <= gone  # the listener goes with the call it listened to
    assert not sim.engine.book.channels


async def test_reboot_phone_makes_it_register_again(probe: Probe) -> None:
    await probe.command("reboot_phone", {"num": "202", "model": "Cisco"})
    await probe.until(lambda ev: len(names(probe, "registration")) >= 3, within=5)
    states = [r["state"] for r in names(probe, "registration")]
    assert states == ["pre_register", "register_attempt", "register"]


async def test_message_is_broadcast_to_message_subscribers(probe: Probe, sim: PbxSimulator) -> None:
    quiet = await Probe.open(sim, {"calls": True})
    await probe.command("message", {"data": "Hi All!", "target": "domain"})
    assert names(probe, "message") == [{"data": "Hi All!", "target": "domain"}]
    await quiet.command("trunk_list")
    assert quiet.events == []
    await quiet.close()


async def test_an_unknown_command_is_recorded_but_not_answered(probe: Probe, sim: PbxSimulator) -> None:
    await probe.send(event("launch_rockets", {"callback_hash": "zzzzzzzzzzzzzzzz"}))
    reply = await probe.command("reloadgw", {"num": "74951112233"})
    assert reply["hash"] == f"h{2:015d}"  # the next callback is the reloadgw one
    assert sim.commands_received[-2] == ("launch_rockets", {"callback_hash": "zzzzzzzzzzzzzzzz"})
