"""The call-flow corpus (issue #10): every flow in tests/flows/*.json gives exactly its expected
alerts per chat through the real pipeline on a SQLite file, and the same alerts again when the bot
is restarted (a new pipeline restored from the same file) in the middle of the flow."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.pbx.simulator.flow import load_flow
from tests.flows.runner import T0, play

FLOW_DIR = Path(__file__).parent
FLOWS = sorted(FLOW_DIR.glob("*.json"))


def test_the_corpus_has_at_least_40_flows_each_covering_something() -> None:
    assert len(FLOWS) >= 40
    for path in FLOWS:
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert raw.get("covers"), f"{path.name}: say what the flow covers"


async def test_every_flow_gives_exactly_its_alerts_also_through_a_restart(tmp_path: Path) -> None:
    failures: list[str] = []
    for path in FLOWS:
        flow = load_flow(path, t0_s=T0)
        middle = len(flow.steps) // 2
        for label, restart in (("plain", None), (f"restart before step {middle + 1}", middle)):
            got = await play(flow, tmp_path / f"{flow.name}-{restart}.sqlite3", restart)
            if got != flow.expect:
                failures.append(f"{flow.name} ({label}): expected {flow.expect}, got {got}")
    assert not failures, "\n".join(failures)
