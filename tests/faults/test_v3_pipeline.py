"""API 3.0 through the whole bot (Application + SQLite + recording chat): events become alerts
exactly as on 2.0, ``call_end`` decides, a drop mid-call loses nothing, gateways are counted."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from adapters.pbx.simulator.scenario import parse_scenario
from adapters.pbx.simulator.v3_server import PbxSimulatorV3
from adapters.pbx.v3.client import SocketClient
from tests.faults.harness import CHAT, BotRig, call_events, until
from tests.ops.test_health import _free_port, _metric

pytestmark = pytest.mark.timeout(30)


def play(steps: list[dict[str, object]]) -> object:
    return parse_scenario({"steps": [{"at": 0.0, "call": call} for call in steps]})


async def test_missed_answered_and_ivr_calls_alert_as_on_2_0(tmp_path: Path) -> None:
    async with BotRig(tmp_path, api="3") as rig:
        assert rig.app is not None and isinstance(rig.app.pbx, SocketClient)
        assert rig.app.pbx_api.api_name == "3.0"
        await rig.sim.play(play([  # type: ignore[arg-type]
            {"from": "79161110001", "to": "201", "ring": ["201"], "outcome": "missed", "ring_s": 0.5},
            {"from": "79161110002", "to": "201", "ring": ["201"], "outcome": "answered",
             "answered_by": "201", "ring_s": 0.5, "talk_s": 0.5},
            {"from": "79161110003", "to": "201", "ring": ["201"], "outcome": "missed", "ivr": True,
             "ring_s": 0.5},
        ]), wait=True)
        await rig.wait_missed(2)
        await rig.settle()
        texts = rig.missed_texts()
        assert len(texts) == 2
        assert any("111-00-01" in t for t in texts) and any("111-00-03" in t for t in texts)
        assert len(rig.app.tracker) == 0  # every call got its verdict from call_end
        counters = rig.app.counters()
        assert counters["gateway_events"][1] == len(rig.sim.roster.trunks)


async def test_socket_drop_mid_call_alerts_the_missed_call_once(tmp_path: Path) -> None:
    async with BotRig(tmp_path, api="3") as rig:
        assert rig.app is not None
        events = call_events("79161110004", "201", missed=True)
        await rig.emit(events[:2])  # ringing
        await rig.wait_events_in(2)
        await rig.sim.drop_connections()
        await until(lambda: rig.app is not None and rig.app.pbx.reconnects >= 1, 5.0)
        assert await rig.app.pbx.wait_connected(5.0)
        await rig.emit(events[2:])  # the hangups (and call_end) arrive on the new socket
        await rig.wait_missed(1)
        await rig.settle()
        assert len(rig.missed_texts()) == 1
        assert [n for n, _ in rig.sim.commands_received].count("subscribe") == 2


async def test_gateway_events_are_counted_in_metrics_and_never_alerted(tmp_path: Path) -> None:
    port = _free_port()
    async with BotRig(tmp_path, api="3", bot_http_port=port) as rig, aiohttp.ClientSession() as http:
        assert isinstance(rig.sim, PbxSimulatorV3)
        for i in range(3):
            await rig.sim.emit_gateway("gateway_status", {"gateway_id": f"gw{i}", "status": "NOREG"})
        trunks = len(rig.sim.roster.trunks)
        app = rig.app
        assert app is not None
        await until(lambda: app.counters()["gateway_events"][1] == trunks + 3, 5.0)
        async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            text = await resp.text()
        assert _metric(text, "onpbx_gateway_events_total") == trunks + 3
        await rig.settle()
        assert rig.sender.to(CHAT) == []
