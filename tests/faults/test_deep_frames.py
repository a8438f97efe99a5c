"""A frame nested deeper than the JSON parser recurses is a malformed frame on both socket APIs:
skipped and counted, the link kept (no reconnect), and the next call still arrives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.pbx.simulator.scenario import parse_scenario
from tests.faults.harness import BotRig, until

pytestmark = pytest.mark.timeout(30)
DEEP = "[" * 100_000 + "]" * 100_000
CALL = {"from": "79161234567", "to": "201", "ring": ["201"], "outcome": "missed", "ring_s": 0.2}


def _frames(api: str) -> list[str]:
    if api == "3":
        return [DEEP, '{"event": "channel_create", "data": ' + DEEP + "}"]
    return ["5:::" + json.dumps({"name": "channel_create", "args": []})[:-3] + DEEP + "]}", "4:::" + DEEP]


@pytest.mark.parametrize("api", ["2", "3"])
async def test_a_deeply_nested_frame_is_skipped_and_the_link_kept(tmp_path: Path, api: str) -> None:
    async with BotRig(tmp_path, api=api) as rig:
        app = rig.app
        assert app is not None
        for text in _frames(api):
            if api == "3":
                await rig.sim.send_raw(text)  # type: ignore[attr-defined]
            else:
                for session in list(rig.sim.sessions.values()):
                    await session.ws.send_str(text)
        await until(lambda: app.pbx.protocol_errors >= 2, 5.0)
        await rig.sim.play(parse_scenario({"steps": [{"at": 0.0, "call": CALL}]}), wait=True)
        await rig.wait_missed(1)
        assert app.pbx.reconnects == 0 and app.pbx.connected
