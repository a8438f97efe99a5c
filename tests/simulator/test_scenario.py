"""Scenario files: validation with clear errors, compilation, playing the shipped demo."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from adapters.pbx.simulator import DEMO_PATH, ScenarioError, demo_scenario, load_scenario, parse_scenario
from adapters.pbx.simulator.roster import Roster
from adapters.pbx.simulator.scenario import compile_scenario
from bot.errors import BotError
from tests.simulator.probe import ALL, Probe, make_sim

DEMO = Path(__file__).parents[2] / "adapters" / "pbx" / "simulator" / "demo.json"


def test_the_demo_ships_as_package_data() -> None:
    assert DEMO_PATH == DEMO and demo_scenario() == load_scenario(DEMO)
CALL = {"from": "79161234567", "to": "500"}


@pytest.mark.parametrize(("doc", "message"), [
    ([], 'object with a "steps" list'),
    ({"steps": {}}, 'object with a "steps" list'),
    ({"steps": [7]}, "step 1: must be an object"),
    ({"steps": [{"call": CALL}]}, 'step 1: "at" must be a number'),
    ({"steps": [{"at": -1, "call": CALL}]}, 'step 1: "at" must be a number'),
    ({"steps": [{"at": True, "call": CALL}]}, 'step 1: "at" must be a number'),
    ({"steps": [{"at": 0, "call": CALL, "register": {"ext": "201"}}]}, "step 1: needs exactly one of"),
    ({"steps": [{"at": 0, "ring": 1}]}, "step 1: needs exactly one of"),
    ({"steps": [{"at": 0, "call": CALL}, {"at": 1, "call": {"to": "500"}}]}, "step 2: call.from must be"),
    ({"steps": [{"at": 0, "call": {**CALL, "outcome": "lost"}}]}, "call.outcome must be 'answered' or"),
    ({"steps": [{"at": 0, "call": {**CALL, "ring": "201"}}]}, "call.ring must be a list"),
    ({"steps": [{"at": 0, "call": {**CALL, "ring": ["201"], "answered_by": "202"}}]},
     "'202' is not in call.ring"),
    ({"steps": [{"at": 0, "call": {**CALL, "ring_s": "5"}}]}, "call.ring_s must be a number"),
    ({"steps": [{"at": 0, "call": {**CALL, "kind": "fax"}}]}, "call.kind must be"),
    ({"steps": [{"at": 0, "register": {"ext": "201", "expires": "1h"}}]}, "register.expires must be whole"),
    ({"steps": [{"at": 0, "unregister": {}}]}, "unregister.ext must be a non-empty string"),
    ({"steps": [{"at": 0, "event": "blf"}]}, '"event" needs a name and a "data" object'),
])
def test_invalid_scenarios_name_the_step_and_field(doc: Any, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    assert message in str(info.value)
    assert isinstance(info.value, BotError)


def test_unreadable_files_are_scenario_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read scenario"):
        load_scenario(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{steps: [", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid JSON"):
        load_scenario(bad)


def test_demo_compiles_to_the_promised_story() -> None:
    scenario = load_scenario(DEMO)
    plans = compile_scenario(scenario, Roster.default(), "d.onpbx.ru", random.Random(0), 1_700_000_000_000)
    assert len(plans) == len(scenario.steps) == 7
    flat = [s for plan in plans for s in plan]
    assert [s.at for s in plans[2]] == sorted(s.at for s in plans[2]) and plans[2][0].at == 2.0
    regs = [(s.payload["uid"], s.payload["state"]) for s in flat if s.name == "registration"]
    assert regs[:3] == [("201", "pre_register"), ("201", "register_attempt"), ("201", "register")]
    creates = [s.payload for s in flat if s.name == "channel_create"]
    internal = next(c for c in creates if c["caller_number"] == "201")
    assert (internal["endpoint"], internal["gate"]) == ("201@d.onpbx.ru", "")
    assert internal["caller_name"] == "Анна Смирнова"
    outgoing = [c for c in creates if c["destination_number"] == "79857778899"]
    assert [c["gate"] for c in outgoing] == ["", "74951112233"]
    missed = [s.payload for s in plans[2] if s.name == "channel_destroy"]
    assert len(missed) == 4 and missed[-1]["direction"] == "inbound"
    assert flat[-1].name == "blf" and flat[-1].payload["status"] == "unregistered"


def test_scenario_json_round_trip(tmp_path: Path) -> None:
    reg = {"ext": 205, "agent": "Cisco/SPA303", "ip": "8.8.8.8", "expires": 60}
    doc = {"steps": [{"at": 0.5, "register": reg},
                     {"at": 1, "event": "channel_hold", "data": {"uuid": "u"}}]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    scenario = load_scenario(path)
    assert [(s.at, s.kind) for s in scenario.steps] == [(0.5, "register"), (1.0, "event")]


@pytest.mark.timeout(20)
async def test_playing_the_demo_fast_reaches_subscribers_and_the_book() -> None:
    sim = make_sim(time_scale=100.0)
    await sim.start()
    probe = await Probe.open(sim, ALL)
    await sim.play(load_scenario(DEMO), wait=True)
    await probe.command("trunk_list")
    names = [n for n, _ in probe.events]
    assert names.count("channel_create") == 11 and names.count("channel_destroy") == 11
    assert "201" not in sim.engine.book.registered() and "202" in sim.engine.book.registered()
    assert not sim.engine.book.channels  # every leg ended
    await probe.close()
    await sim.stop()
