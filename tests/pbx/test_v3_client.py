"""Our 3.0 client against the simulator's 3.0 side: events, commands, and every reading of the
contract's inferred points (stamp units, reqId echo, group spelling)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.pbx.simulator.scenario import parse_scenario
from adapters.pbx.simulator.v3_server import PbxSimulatorV3, V3Knobs
from adapters.pbx.v3 import wire
from adapters.pbx.v3.client import GATEWAY_LOGGED, LinkState, SocketClient
from bot.backoff import Backoff
from bot.events import Blf, CallEnd, ChannelBridge, ChannelCreate, PbxEvent
from tests.faults.harness import until

pytestmark = pytest.mark.timeout(30)
DOMAIN, KEY = "example.onpbx.ru", "v3-secret-key-0123"
MISSED = {"from": "79161234567", "to": "201", "ring": ["201"], "outcome": "missed", "ring_s": 1,
          "cause": "NO_ANSWER"}  # fmt: skip


class Rig:
    """A 3.0 simulator and a running SocketClient that records what it delivers."""

    def __init__(self, sim: PbxSimulatorV3, **kw: Any) -> None:
        self.sim = sim
        self.events: list[PbxEvent] = []
        self.client = SocketClient(sim.url, kw.pop("key", KEY), domain=DOMAIN, on_event=self._record,
                                   backoff=Backoff(base=0.05, cap=0.2), command_timeout=3.0, **kw)
        self.task = asyncio.create_task(self.client.run())

    async def _record(self, event: PbxEvent) -> None:
        self.events.append(event)

    def of(self, cls: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]

    async def until(self, pred: Any, within: float = 10.0) -> None:
        await until(pred, within)

    async def stop(self) -> None:
        await self.client.close()
        await asyncio.wait_for(self.task, 5.0)
        await self.sim.stop()


@pytest.fixture
async def make() -> AsyncIterator[Any]:
    rigs: list[Rig] = []

    async def start(knobs: V3Knobs | None = None, **kw: Any) -> Rig:
        sim = PbxSimulatorV3(DOMAIN, KEY, knobs=knobs, time_scale=40.0)
        await sim.start()
        rig = Rig(sim, **kw)
        rigs.append(rig)
        return rig

    yield start
    for rig in rigs:
        await rig.stop()


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
async def test_a_missed_call_arrives_as_core_events_in_ms(make: Any, unit: str) -> None:
    rig = await make(V3Knobs(stamp_unit=unit))  # type: ignore[arg-type]
    assert await rig.client.wait_connected(5.0) and rig.client.state is LinkState.CONNECTED
    await rig.sim.play(parse_scenario({"steps": [{"at": 0.0, "call": MISSED}]}), wait=True)
    await rig.until(lambda: rig.of(CallEnd))
    creates = rig.of(ChannelCreate)
    assert len(creates) == 2 and len({c.call_id for c in creates}) == 1
    assert all(1e12 < (c.created_stamp or 0) < 1e14 for c in creates)
    (end,) = rig.of(CallEnd)
    assert end.call_id == creates[0].call_id and end.missed and end.start_stamp and end.start_stamp > 1e12
    assert {(b.uid, b.status) for b in rig.of(Blf)} == {("201", "ringing"), ("201", "hangup")}
    assert rig.client.gateway_events == len(rig.sim.roster.trunks) and rig.client.malformed_events == 0


@pytest.mark.parametrize("echo", [True, False])
async def test_commands_with_fresh_req_ids_matched_with_or_without_echo(make: Any, echo: bool) -> None:
    rig = await make(V3Knobs(echo_req_id=echo))
    assert await rig.client.wait_connected(5.0)
    call = {**MISSED, "ring": ["201", "202"], "ring_s": 30}
    await rig.sim.play(parse_scenario({"steps": [{"at": 0.0, "call": call}]}))
    await rig.until(lambda: len(rig.of(ChannelCreate)) == 3)
    a, b1, b2 = (c.uuid for c in rig.of(ChannelCreate))
    await asyncio.gather(rig.client.bridge(a, b1), rig.client.hangup_call("nope-1"),
                         rig.client.transfer(b2, "203"), return_exceptions=True)
    with pytest.raises(wire.PbxErrorEvent) as info:
        await rig.client.hangup_call("nope-2")
    assert info.value.message == "NO_SUCH_CHANNEL" and info.value.event == "error_hangup_channel"
    await rig.until(lambda: rig.of(ChannelBridge))
    names = [n for n, _ in rig.sim.commands_received]
    assert names == ["subscribe", "bridge", "hangup_channel", "transfer", "hangup_channel"]
    assert len(set(rig.sim.req_ids)) == 5 and all(rig.sim.req_ids)
    assert ("bridge", {"uuids": [a, b1]}) in rig.sim.commands_received
    assert rig.client._pending.waiting == {} and rig.client.reconnects == 0


async def test_camel_case_groups_when_the_pbx_wants_them(make: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    rig = await make(V3Knobs(group_names="camel"))
    assert await rig.client.wait_connected(5.0)
    assert rig.client.group_styles[0] == "camel"  # remembered for the next reconnect
    assert rig.sim.commands_received[1] == ("subscribe", {"eventGroups": ["calls", "userBlf",
                                                                         "userRegistration", "gateway"]})
    await rig.sim.emit("blf", {"uid": "202", "status": "ringing"})
    await rig.until(lambda: rig.of(Blf))
    await rig.sim.drop_connections()
    await rig.until(lambda: rig.client.reconnects == 1 and rig.client.connected)
    assert [n for n, d in rig.sim.commands_received][2:] == ["subscribe"]  # camel straight away
    assert "trying the next" in caplog.text


async def test_snake_case_refused_both_ways_is_a_warning_not_a_loop(make: Any,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    rig = await make(V3Knobs(group_names="snake"), group_styles=("camel",))
    assert await rig.client.wait_connected(5.0)  # commands still work; events will not come
    assert "subscribe refused" in caplog.text and rig.client.reconnects == 0


async def test_the_first_gateway_payloads_are_logged_then_only_counted(
    make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="adapters.pbx.v3.client")
    rig = await make()
    assert await rig.client.wait_connected(5.0)
    for i in range(6):
        await rig.sim.emit_gateway("gateway_status", {"gateway_id": f"gw{i}", "status": "REGED"})
    await rig.until(lambda: rig.client.gateway_events == len(rig.sim.roster.trunks) + 6)
    logged = [r for r in caplog.records if r.getMessage().startswith("gateway event")]
    assert len(logged) == GATEWAY_LOGGED and all(r.levelname == "INFO" for r in logged)
    assert rig.events == []  # kept out of the pipeline: no alert can come of them
