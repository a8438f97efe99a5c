"""Random traffic: reproducible for a seed, realistic in its mix, numbers and timings."""

from __future__ import annotations

import itertools
from collections import Counter

from adapters.pbx.simulator.roster import Roster
from adapters.pbx.simulator.traffic import TrafficPlanner, plan_calls

D = "example.onpbx.ru"


def test_same_seed_same_events_other_seed_other_events() -> None:
    one = plan_calls(Roster.default(), 7, 40, domain=D)
    assert one == plan_calls(Roster.default(), 7, 40, domain=D)
    assert one != plan_calls(Roster.default(), 8, 40, domain=D)


def test_the_mix_covers_every_kind_of_call_and_every_missed_cause() -> None:
    plans = plan_calls(Roster.default(), 1, 300, domain=D)
    specs = [spec for _, spec, _ in plans]
    kinds = Counter(s.kind for s in specs)
    assert set(kinds) == {"inbound", "internal", "outgoing"} and kinds["inbound"] > kinds["outgoing"]
    inbound = [s for s in specs if s.kind == "inbound"]
    assert {s.outcome for s in inbound} == {"answered", "missed"}
    assert any(len(s.ring) > 1 for s in inbound) and any(len(s.ring) == 1 for s in inbound)
    assert {s.cause for s in inbound if s.outcome == "missed"} == {
        "ORIGINATOR_CANCEL", "NO_ANSWER", "NO_USER_RESPONSE", "USER_BUSY", "CALL_REJECTED"}
    assert all(s.caller.startswith(("79", "74", "78")) and len(s.caller) == 11 for s in inbound)
    assert all(2 <= s.ring_s <= 20 and 5 <= s.talk_s <= 120 for s in specs)


def test_answered_ring_groups_lose_the_race_and_every_call_ends() -> None:
    for _, spec, steps in plan_calls(Roster.default(), 3, 100, domain=D):
        created = {s.payload["uuid"] for s in steps if s.name == "channel_create"}
        destroyed = [s.payload for s in steps if s.name == "channel_destroy"]
        assert {d["uuid"] for d in destroyed} == created  # no leg left behind
        if spec.outcome == "answered" and len(spec.ring) > 1:
            assert Counter(d["hangup_cause"] for d in destroyed)["LOSE_RACE"] == len(spec.ring) - 1


def test_calls_arrive_at_the_rate() -> None:
    plans = plan_calls(Roster.default(), 5, 600, domain=D, rate_per_min=10)
    minutes = plans[-1][0] / 60
    assert 50 < minutes < 70  # 600 calls at 10/min take about an hour


def test_phones_refresh_before_expiry_and_sometimes_lapse() -> None:
    planner = TrafficPlanner(Roster.default(), seed=4, lapse_chance=0.2)
    plans = list(itertools.islice(planner.phone_plans("201"), 60))
    assert plans[0].first and plans[0].delay_s < 3
    assert any(p.lapses for p in plans)
    for prev, nxt in itertools.pairwise(plans):
        if prev.lapses:
            assert nxt.first and nxt.delay_s > prev.expires  # gone for longer than its expiry
        else:
            assert not nxt.first and nxt.delay_s < prev.expires  # refreshed in time
    planner = TrafficPlanner(Roster.default(), 4, lapse_chance=0.2)
    again = list(itertools.islice(planner.phone_plans("201"), 60))
    assert again == plans
