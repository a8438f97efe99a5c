"""Issue 19 §1 through the real app on SQLite: PBX events whose stamps are 1e20 (past SQLite's
64-bit integers, past any calendar) once stopped the event pipeline for good. Now the call is
still alerted with what is known ("time unknown"), its live card too, nothing is dropped for
failing to render, and the calls after it are alerted as before."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.faults.harness import CHAT, BotRig, call_events

pytestmark = pytest.mark.timeout(30)
HUGE = 10**20


@pytest.mark.parametrize("api", ["2", "3"])
async def test_stamps_out_of_range_cost_only_the_time_of_that_call(tmp_path: Path, api: str) -> None:
    async with BotRig(tmp_path, api=api) as rig:
        app, store = rig.app, rig.store
        assert app is not None and store is not None
        chat = await store.get_chat(CHAT)
        assert chat is not None
        await store.update_chat(dataclasses.replace(chat, alert_calls=True))  # live cards render it too
        app.router.invalidate()
        await rig.emit(call_events("79161110030", "201", missed=True))
        await rig.wait_missed(1)
        await rig.emit(call_events("79161110031", "201", missed=True, t_ms=HUGE))
        await rig.emit(call_events("79161110032", "201", missed=False, t_ms=HUGE))
        await rig.emit([("blf", {"uid": "201", "status": "ringing", "timestamp": HUGE})])
        await rig.emit(call_events("79161110033", "201", missed=True))
        await rig.wait_missed(3)
        await rig.settle()
        alerts = [s.text for s in rig.sender.to(CHAT) if s.text.startswith("📵")]
        assert len(alerts) == 3 and "+7 916 111-00-31" in alerts[1], alerts
        assert "time unknown" in alerts[1] and "time unknown" not in alerts[0] + alerts[2]
        cards = [s.text for s in rig.sender.to(CHAT) if s.text.startswith("📞") and "111-00-32" in s.text]
        assert cards and all("time unknown" in c for c in cards)
        assert not any("could not be shown" in s.text for s in rig.sender.to(CHAT))
        assert all(t["state"] == "ok" for t in app.supervisor.status().values()), app.supervisor.status()
        assert app.supervisor.failures()["events"] == 0
