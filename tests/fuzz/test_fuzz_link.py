"""Fuzz over the live link: the simulator's socket sends the real PbxClient garbage and hostile
frames (bad packets, odd JSON, huge payloads, broken events); the bot keeps serving afterwards
(reconnecting if it chose to drop the link), alerts a normal missed call and answers a command."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from adapters.console.adapter import ConsoleChat
from tests.faults.harness import BotRig, call_events, until

pytestmark = pytest.mark.timeout(40)
PREFIXES = ("5:::", "5::", "6:::", "6:::1+", "4:::", "3:::", "0::", "1::", "2::", "7:::", "8::", "9:", "",
            "5:1+::", "5::/ns:", "\ufffd12\ufffd")
VALUES: tuple[Any, ...] = (None, True, 0, -1, 1e308, "", "\x00\u202e", "☎" * 100, [], {}, {"name": None},
          {"name": "channel_create", "args": [None]}, {"name": "channel_destroy", "args": "x"},
          {"name": "blf", "args": [{"uid": ["201"], "status": {}}]},
          {"name": "registration", "args": [{"uid": 201, "expires": "soon"}]},
          {"name": "callback", "args": [{"hash": ["x"]}]}, {"name": "x" * 10_000, "args": [1]})


def frames(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        body = rng.choice(VALUES)
        text = json.dumps(body) if rng.random() < 0.8 else json.dumps(body)[: rng.randint(0, 8)]
        out.append(rng.choice(PREFIXES) + text)
    huge = "5:::" + json.dumps({"name": "blf", "args": ["y" * 2_000_000]})  # over ONPBX_MAX_FRAME
    return [*out, "5:::" + "[" * 5000, "\ufffd5\ufffd5:::{", huge]


async def test_garbage_frames_do_not_stop_the_bot(tmp_path: Path) -> None:
    async with BotRig(tmp_path) as rig:
        assert rig.app is not None
        app = rig.app
        for frame in frames(seed=1, n=300):
            for session in list(rig.sim.sessions.values()):
                if not session.ws.closed:
                    await session.ws.send_str(frame)
        await until(lambda: app.pbx.connected and any(s.subs for s in rig.sim.sessions.values()), 10.0)
        await rig.emit(call_events("79161110051", "201", missed=True))
        await rig.wait_missed(1)
        out = io.StringIO()
        await ConsoleChat(app.core, out).handle_line("/who")
        assert "201" in out.getvalue()
        assert app.pbx.malformed_events + app.pbx.protocol_errors + app.pbx.reconnects > 0
