"""A few call flows of tests/flows replayed over the wire: the simulator plays the flow file
(``onpbx-bot simulate --scenario FLOW`` loads it the same way), the real API 2.0 client reads it
into a real Application on a SQLite file, and the chats get the alerts the flow expects."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from adapters.pbx.simulator.flow import delivered, load_flow
from adapters.pbx.simulator.scenario import load_scenario
from adapters.pbx.simulator.server import PbxSimulator
from bot.cli.app import Application
from storage.sqlite import SqliteStore
from tests.faults.harness import DOMAIN, KEY, settings_for, until
from tests.flows.runner import chat_ref, project, setup_chats

FLOW_DIR = Path(__file__).parents[1] / "flows"
REPLAYED = (
    "03_ring_group_missed",
    "14_number_format_8_prefix",
    "21_switchboard_bridge_moves_leg",
    "23_pickup_by_code",
    "37_click_to_call_answered",
)
SCALE = 40.0  # simulated seconds per real second, on both sides


class ScaledClock:
    """The bot's clock running SCALE times faster, like the simulator's."""

    def __init__(self) -> None:
        self.t0, self.m0 = time.time(), time.monotonic()

    def __call__(self) -> float:
        return self.t0 + (time.monotonic() - self.m0) * SCALE


@pytest.mark.parametrize("name", REPLAYED)
async def test_a_flow_replayed_over_the_wire_gives_its_alerts(name: str, tmp_path: Path) -> None:
    path = FLOW_DIR / f"{name}.json"
    flow = load_flow(path)
    sim = PbxSimulator(DOMAIN, KEY, time_scale=SCALE)
    await sim.start()
    store = await SqliteStore.open(str(tmp_path / "bot.sqlite3"))
    app = Application(settings_for(sim.url, tmp_path / "bot.sqlite3"), store, clock=ScaledClock(),
                      chat_adapters=False)  # fmt: skip
    try:
        await setup_chats(store, flow)
        await app.start()
        assert await app.pbx.wait_connected(5.0)
        async with asyncio.timeout(5):
            await sim.wait_for(lambda: any(s.subs for s in sim.sessions.values()))
        await sim.play(load_scenario(path), wait=True)
        await until(lambda: app.pbx.events_in >= len(delivered(flow)), 10.0)
        await asyncio.wait_for(app.events_processed(), 5.0)
        got = {c: [project(e) for e in await store.pending_for_chat(chat_ref(c))] for c in flow.chats}
    finally:
        await app.stop()
        await store.close()
        await sim.stop()
    for chat, alerts in flow.expect.items():
        assert len(got[chat]) == len(alerts), f"{name}: {chat}: {got[chat]}"
        for seen, want in zip(got[chat], alerts, strict=True):
            # wall-clock ring time over a real socket may be off by scheduling jitter x SCALE
            assert abs(seen.pop("ring_s", 0) - want.get("ring_s", 0)) <= 1, f"{name}: {chat}"
            assert seen == {k: v for k, v in want.items() if k != "ring_s"}, f"{name}: {chat}"


def test_a_flow_file_is_a_scenario_without_the_events_lost_in_its_gaps() -> None:
    path = FLOW_DIR / "44_gap_answer_lost.json"
    played = [step.data["name"] for step in load_scenario(path).steps]
    # the answer and the bridge happened inside the link gap: the bot never sees them
    assert played == ["channel_create", "channel_create", "channel_destroy", "channel_destroy"]
    assert len(load_flow(path).steps) == 8


async def test_onpbx_bot_simulate_plays_a_flow_file_and_refuses_a_broken_one(tmp_path: Path) -> None:
    from tests.simulator.test_cli import simulate

    queue = FLOW_DIR / "18_queue_ten_minutes_five_agents.json"
    proc = await simulate("--port", "0", "--scenario", str(queue))
    assert proc.stdout is not None
    async with asyncio.timeout(15):
        line = (await proc.stdout.readline()).decode()
    assert line.startswith("onlinePBX simulator for ")
    proc.terminate()
    assert await proc.wait() == 0
    broken = tmp_path / "broken.json"
    broken.write_text('{"steps": [{"at": 5, "link": "down"}, {"at": 1, "link": "up"}], "expect": {}}')
    bad = await simulate("--port", "0", "--scenario", str(broken))
    _, err = await bad.communicate()
    assert bad.returncode == 2 and b"time order" in err
