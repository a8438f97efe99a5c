"""The call shapes of wire-calls.md, built by the pure sequence functions."""

from __future__ import annotations

import random

from adapters.pbx.simulator.actions import click_to_call, registration_events
from adapters.pbx.simulator.calls import CallSpec, call_events
from adapters.pbx.simulator.legs import Step
from adapters.pbx.simulator.roster import Roster

D = "example.onpbx.ru"
T0 = 1_700_000_000_000


def names(steps: list[Step]) -> list[str]:
    return [s.name for s in steps]


def of(steps: list[Step], name: str) -> list[dict]:
    return [s.payload for s in steps if s.name == name]


def legs(steps: list[Step]) -> list[dict]:
    """A-leg first, then the B-legs by extension (their creation order is random)."""
    creates = of(steps, "channel_create")
    return [creates[0], *sorted(creates[1:], key=lambda c: c["destination_number"])]


def inbound(outcome: str, **kw: object) -> list[Step]:
    spec = CallSpec("inbound", "79161234567", "500", ("201", "202"), outcome,  # type: ignore[arg-type]
                    caller_name="Ivan Petrov", gate="74951112233", **kw)  # type: ignore[arg-type]
    return call_events(spec, random.Random(1), T0, D)


def test_missed_ring_group_has_exactly_the_legs_of_the_contract() -> None:
    steps = inbound("missed", ring_s=3, cause="ORIGINATOR_CANCEL")
    a, b1, b2 = legs(steps)
    assert a | {"uuid": ""} == {
        "uuid": "", "direction": "inbound", "created_stamp": T0, "state": "CS_INIT",
        "endpoint": "79161234567", "domain": D, "caller_number": "79161234567", "caller_name": "Ivan Petrov",
        "destination_number": "500", "destination_host": D, "gate": "74951112233", "diversion": ""}
    for b, ext in ((b1, "201"), (b2, "202")):
        assert (b["direction"], b["endpoint"], b["destination_number"]) == ("outbound", f"{ext}@{D}", ext)
        assert (b["caller_number"], b["caller_name"]) == ("79161234567", "Ivan Petrov")
        assert b["gate"] == "74951112233"
        assert 50 <= b["created_stamp"] - T0 <= 300
    assert of(steps, "channel_answer") == [] and of(steps, "channel_bridge") == []
    destroys = of(steps, "channel_destroy")
    assert {d["uuid"] for d in destroys[:2]} == {b1["uuid"], b2["uuid"]}
    assert destroys[2]["uuid"] == a["uuid"]  # the A-leg ends last
    assert {d["hangup_cause"] for d in destroys} == {"ORIGINATOR_CANCEL"}
    assert destroys[-1]["direction"] == "inbound" and destroys[-1]["state"] == "CS_DESTROY"
    lamps = [(x["uid"], x["status"], x["rank"], x["direction"]) for x in of(steps, "blf")]
    want = [(e, s, "slave", "in") for e in ("201", "202") for s in ("ringing", "hangup")]
    assert sorted(lamps) == sorted(want)
    assert [s.at for s in steps] == sorted(s.at for s in steps)


def test_missed_by_timeout_ends_the_a_leg_with_no_answer() -> None:
    destroys = of(inbound("missed", cause="NO_USER_RESPONSE"), "channel_destroy")
    assert [d["hangup_cause"] for d in destroys] == ["NO_USER_RESPONSE", "NO_USER_RESPONSE", "NO_ANSWER"]


def test_answered_ring_group_bridges_the_winner_and_loses_the_race_for_the_rest() -> None:
    steps = inbound("answered", answered_by="202", ring_s=4, talk_s=10)
    a, b1, b2 = legs(steps)
    assert [x["uuid"] for x in of(steps, "channel_answer")] == [b2["uuid"], a["uuid"]]
    bridge = {"direction": "inbound", "aleg_uuid": a["uuid"], "bleg_uuid": b2["uuid"]}
    assert of(steps, "channel_bridge") == [bridge]
    causes = [(d["uuid"], d["hangup_cause"]) for d in of(steps, "channel_destroy")]
    assert causes == [
        (b1["uuid"], "LOSE_RACE"), (b2["uuid"], "NORMAL_CLEARING"), (a["uuid"], "NORMAL_CLEARING")]
    lamps = [(x["uid"], x["status"]) for x in of(steps, "blf")]
    assert ("202", "answered") in lamps and ("201", "answered") not in lamps
    bridge_at = next(s.at for s in steps if s.name == "channel_bridge")
    end_at = max(s.at for s in steps if s.name == "channel_destroy")
    assert 9.9 <= end_at - bridge_at <= 10.1


def test_ivr_answers_the_a_leg_right_away_and_only_once() -> None:
    steps = inbound("missed", ivr=True)
    a = of(steps, "channel_create")[0]
    assert [x["uuid"] for x in of(steps, "channel_answer")] == [a["uuid"]]
    assert names(steps)[:2] == ["channel_create", "channel_answer"]


def test_internal_call_has_no_gate_and_both_lamps() -> None:
    spec = CallSpec("internal", "201", "202", ("202",), "answered", answered_by="202", names={"201": "Anna"})
    steps = call_events(spec, random.Random(2), T0, D)
    a, b = of(steps, "channel_create")
    assert (a["endpoint"], a["caller_name"], a["gate"], a["direction"]) == (f"201@{D}", "Anna", "", "inbound")
    assert (b["endpoint"], b["caller_number"], b["gate"]) == (f"202@{D}", "201", "")
    ringing = {(x["uid"], x["rank"]) for x in of(steps, "blf") if x["status"] == "ringing"}
    assert ringing == {("201", "master"), ("202", "slave")}


def test_outgoing_call_goes_out_through_the_trunk() -> None:
    spec = CallSpec("outgoing", "201", "79161234567", ("79161234567",), "answered", answered_by="79161234567",
                    gate="74951112233")
    a, b = of(call_events(spec, random.Random(3), T0, D), "channel_create")
    assert (a["endpoint"], a["gate"], a["destination_number"]) == (f"201@{D}", "", "79161234567")
    assert (b["endpoint"], b["caller_number"], b["gate"]) == ("79161234567", "74951112233", "74951112233")


def test_click_to_call_rings_the_extension_first_then_bridges() -> None:
    steps = click_to_call("201", "79161234567", uuid="U", rng=random.Random(4), t0_ms=T0, domain=D,
                          trunk="74951112233", from_is_ext=True, to_is_ext=False, ring_s=2, talk_s=5)
    u, v = of(steps, "channel_create")
    assert (u["uuid"], u["direction"], u["endpoint"], u["gate"]) == ("U", "outbound", f"201@{D}", "")
    assert (u["caller_number"], u["destination_number"]) == ("79161234567", "201")
    assert (v["endpoint"], v["gate"]) == ("79161234567", "74951112233")
    order = [(s.name, s.payload.get("uuid")) for s in steps if s.name in ("channel_create", "channel_answer")]
    assert order == [("channel_create", "U"), ("channel_answer", "U"), ("channel_create", v["uuid"]),
                     ("channel_answer", v["uuid"])]
    assert of(steps, "channel_bridge")[0]["aleg_uuid"] == "U"
    assert not any(p["direction"] == "inbound" for p in of(steps, "channel_create"))  # never a missed call


def test_registration_goes_through_three_states_and_a_refresh_is_one() -> None:
    ext = Roster.default().extensions[0]
    first = registration_events(ext, 120)
    assert [s.payload["state"] for s in first] == ["pre_register", "register_attempt", "register"]
    assert first[-1].payload | {"agent": ""} == {"uid": "201", "agent": "", "state": "register", "ip": ext.ip,
                                                 "port": ext.port, "expires": 120}
    assert [s.payload["state"] for s in registration_events(ext, 120, first=False)] == ["register"]
