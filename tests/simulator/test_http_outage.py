"""The simulator's outage control and scenario step: sockets drop, handshakes are refused for a
while, calls keep playing and land in the call history."""

from __future__ import annotations

import aiohttp
import pytest

from adapters.pbx.simulator import ScenarioError, parse_scenario
from tests.simulator.probe import ALL, DOMAIN, KEY, Probe, make_sim


async def test_an_outage_step_drops_the_socket_and_calls_still_reach_the_history() -> None:
    sim = make_sim()
    await sim.start()
    try:
        probe = await Probe.open(sim, subscribe=ALL)
        scenario = parse_scenario({"steps": [
            {"at": 0, "outage": {"seconds": 30}},
            {"at": 0.1, "call": {"from": "79161234567", "to": "201", "ring": ["201"], "outcome": "missed"}},
        ]})
        await sim.play(scenario, wait=True)
        assert sim.connected_clients == 0 and len(sim.history.records) == 1
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{sim.url}/socket.io/1/", params={"key": KEY, "domain": DOMAIN}) as r:
                assert r.status == 503
        record = sim.history.records[0]
        assert record["user_talk_time"] == 0 and record["accountcode"] == "inbound"
        await probe.close()
    finally:
        await sim.stop()


@pytest.mark.parametrize("body", [{}, {"seconds": 0}, {"seconds": "5"}, 5])
def test_an_outage_needs_positive_seconds(body: object) -> None:
    with pytest.raises(ScenarioError, match=r"outage\.seconds must be a number of seconds > 0"):
        parse_scenario({"steps": [{"at": 0, "outage": body}]})
