"""The call-flow corpus (issues #10, #12): every flow in tests/flows/*.json gives exactly its
expected alerts per chat through the real pipeline on a SQLite file, on PBX API 2.0 and on 3.0
(the same ``expect``, but for the flows' documented ``apis``/``expect_api`` exceptions), and the
same alerts again when the bot is restarted (a new pipeline restored from the same file) in the
middle of the flow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.pbx.simulator.flow import Flow, load_flow
from tests.flows.runner import T0, play
from tests.flows.wire import APIS

FLOW_DIR = Path(__file__).parent
FLOWS = sorted(FLOW_DIR.glob("*.json"))


def test_the_corpus_has_at_least_40_flows_each_covering_something() -> None:
    assert len(FLOWS) >= 40
    for path in FLOWS:
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert raw.get("covers"), f"{path.name}: say what the flow covers"


def restart_point(flow: Flow) -> int:
    """Before which step the seamless restart goes: the middle, moved out of a window where the
    flow's store refuses writes (a snapshot the database refused cannot survive a restart; the
    decided alert kept to retry must) to the first step after it, else the last before it."""
    down, allowed = False, []
    for i, step in enumerate(flow.steps):
        if not down:
            allowed.append(i)
        down = step.marker == "store_down" or (down and step.marker != "store_up")
    if not down:
        allowed.append(len(flow.steps))  # len(steps): after the last step, before the flow's end
    middle = len(flow.steps) // 2
    return min((i for i in allowed if i >= middle), default=max(allowed))


@pytest.mark.parametrize("api", APIS)
async def test_every_flow_gives_exactly_its_alerts_also_through_a_restart(tmp_path: Path, api: str) -> None:
    failures: list[str] = []
    played = 0
    for path in FLOWS:
        flow = load_flow(path, t0_s=T0)
        if api not in flow.apis:
            continue
        played += 1
        middle = restart_point(flow)
        expect = flow.expected(api)
        for label, restart in (("plain", None), (f"restart before step {middle + 1}", middle)):
            got = await play(flow, tmp_path / f"{flow.name}-{restart}.sqlite3", restart, api)
            if got != expect:
                failures.append(f"{flow.name} ({label}): expected {expect}, got {got}")
    assert played >= len(FLOWS) - 10, f"only {played} flows run on API {api}"
    assert not failures, "\n".join(failures)
