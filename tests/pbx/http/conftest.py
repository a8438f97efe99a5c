"""The simulator (HTTP API on its own port) and a real HttpPbx pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.pbx.http import HttpPbx
from adapters.pbx.simulator import PbxSimulator
from adapters.pbx.simulator.scenario import parse_scenario
from bot.domain import HistoryRecord
from tests.simulator.probe import DOMAIN, KEY, make_sim


class Sleeps:
    """A recording stand-in for asyncio.sleep: the client's back-off pauses, not waited."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    s = make_sim()
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(sim: PbxSimulator, sleeps: Sleeps) -> AsyncIterator[HttpPbx]:
    c = HttpPbx(sim.url, DOMAIN, KEY, timeout=2.0, attempts=3, sleep=sleeps)
    yield c
    await c.close()


async def play_calls(sim: PbxSimulator, *calls: dict[str, Any], every_s: float = 0.01) -> None:
    """Play calls (scenario ``call`` bodies, ``every_s`` simulated seconds apart) to their end."""
    before = len(sim.history.records)
    steps = [{"at": every_s * i, "call": c} for i, c in enumerate(calls)]
    await sim.play(parse_scenario({"steps": steps}), wait=True)
    assert len(sim.history.records) == before + len(calls)


def by_caller(records: list[HistoryRecord], number: str) -> HistoryRecord:
    return next(r for r in records if r.caller_number == number)


MISSED_CALL = {"from": "79161234567", "name": "Иван", "to": "201", "ring": ["201"], "outcome": "missed",
               "ring_s": 0.2}
