"""Random but reproducible office traffic: calls at a rate, phones registering and lapsing.

Strategy: :class:`TrafficPlanner` draws from its own ``random.Random(seed)`` streams (one for
calls, one per phone), never the global one, so a seed fixes every spec and every event;
:func:`plan_calls` is the pure entry point the tests use. The server only plays the plans.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass

from adapters.pbx.simulator.actions import registration_events
from adapters.pbx.simulator.calls import CallSpec, call_events
from adapters.pbx.simulator.engine import Engine, now_ms
from adapters.pbx.simulator.legs import Step
from adapters.pbx.simulator.roster import Extension, Roster

logger = logging.getLogger(__name__)

FIRST = ("Иван", "Алексей", "Елена", "Наталья", "Павел", "Татьяна", "Андрей", "Юлия", "Николай", "Ирина")
LAST_M = ("Петров", "Соколов", "Морозов", "Новиков", "Фёдоров", "Лебедев")
FEMALE = {"Елена", "Наталья", "Татьяна", "Юлия", "Ирина"}
PREFIXES_IN = ("7916", "7903", "7925", "7985", "7495", "7499", "7812", "7921")
PREFIXES_OUT = ("7495", "7916", "7926", "8800", "7343")
MISSED = (("ORIGINATOR_CANCEL", 50), ("NO_ANSWER", 20), ("NO_USER_RESPONSE", 10), ("USER_BUSY", 10),
          ("CALL_REJECTED", 10))


def _number(rng: random.Random, prefixes: tuple[str, ...]) -> str:
    prefix = rng.choice(prefixes)
    return prefix + "".join(rng.choice("0123456789") for _ in range(11 - len(prefix)))


def _person(rng: random.Random) -> str:
    first = rng.choice(FIRST)
    last = rng.choice(LAST_M)
    return f"{first} {last}a" if first in FEMALE else f"{first} {last}"


@dataclass(frozen=True, slots=True)
class PhonePlan:
    """When a phone (re)registers: ``expires`` seconds, whether this refresh is its last."""

    delay_s: float
    expires: int
    first: bool
    lapses: bool


class TrafficPlanner:
    """Draws call specs and phone schedules for a roster; deterministic for a seed."""

    def __init__(self, roster: Roster, seed: int = 0, *, lapse_chance: float = 0.08) -> None:
        self.roster = roster
        self.seed = seed
        self.rng = random.Random(seed)
        self.lapse_chance = lapse_chance

    def gap(self, rate_per_min: float) -> float:
        """Simulated seconds until the next call (Poisson arrivals)."""
        return self.rng.expovariate(rate_per_min / 60.0)

    def next_call(self) -> CallSpec:
        r = self.rng.random()
        ring_s, talk_s = round(self.rng.uniform(2, 20), 2), round(self.rng.uniform(5, 120), 2)
        exts = [e.num for e in self.roster.extensions]
        if r < 0.55 or len(exts) < 2:
            return self._inbound(ring_s, talk_s)
        caller = self.rng.choice(exts)
        names = {e.num: e.name for e in self.roster.extensions}
        answered = self.rng.random() < 0.7
        if r < 0.8:
            callee = self.rng.choice([e for e in exts if e != caller])
            cause = self._cause()
            return CallSpec("internal", caller, callee, (callee,), "answered" if answered else "missed",
                            answered_by=callee, ring_s=ring_s, talk_s=talk_s, cause=cause, names=names)
        number = _number(self.rng, PREFIXES_OUT)
        return CallSpec("outgoing", caller, number, (number,), "answered" if answered else "missed",
                        answered_by=number, ring_s=ring_s, talk_s=talk_s, names=names,
                        cause=self.rng.choice(("NO_ANSWER", "USER_BUSY")), gate=self.roster.main_trunk)

    def _cause(self) -> str:
        return self.rng.choices([c for c, _ in MISSED], [w for _, w in MISSED])[0]

    def _inbound(self, ring_s: float, talk_s: float) -> CallSpec:
        groups = list(self.roster.groups)
        exts = [e.num for e in self.roster.extensions]
        to = self.rng.choice(groups) if groups and self.rng.random() < 0.5 else self.rng.choice(exts)
        ring = self.roster.members(to)
        caller = _number(self.rng, PREFIXES_IN)
        name = _person(self.rng) if self.rng.random() < 0.5 else caller
        answered = self.rng.random() < 0.65
        gate = self.rng.choice(self.roster.trunks).num if self.roster.trunks else self.roster.main_trunk
        return CallSpec("inbound", caller, to, ring, "answered" if answered else "missed", caller_name=name,
                        answered_by=self.rng.choice(ring), ring_s=ring_s, talk_s=talk_s, cause=self._cause(),
                        gate=gate, ivr=self.rng.random() < 0.3)

    def phone_plans(self, num: str) -> Iterator[PhonePlan]:
        """Endless registration schedule of extension ``num`` (own rng stream)."""
        rng = random.Random(f"{self.seed}:phone:{num}")
        delay, first = rng.uniform(0.0, 3.0), True
        while True:
            expires = rng.choice((60, 120, 300))
            lapses = rng.random() < self.lapse_chance
            yield PhonePlan(round(delay, 3), expires, first, lapses)
            if lapses:
                delay, first = rng.uniform(expires * 1.5, expires * 4), True
            else:
                delay, first = expires * rng.uniform(0.5, 0.85), False


def plan_calls(roster: Roster, seed: int, n: int, *, domain: str, rate_per_min: float = 6.0,
               t0_ms: int = 1_700_000_000_000) -> list[tuple[float, CallSpec, list[Step]]]:
    """The first ``n`` calls of a seed: (start offset in s, spec, its events). Pure."""
    planner, at, out = TrafficPlanner(roster, seed), 0.0, []
    for _ in range(n):
        at += planner.gap(rate_per_min)
        spec = planner.next_call()
        rng = random.Random(planner.rng.getrandbits(64))
        out.append((at, spec, call_events(spec, rng, t0_ms + round(at * 1000), domain)))
    return out


async def call_loop(engine: Engine, planner: TrafficPlanner, rate_per_min: float) -> None:
    """Start calls at ``rate_per_min`` (simulated time) until cancelled; same order as plan_calls."""
    while True:
        await asyncio.sleep(planner.gap(rate_per_min) / engine.time_scale)
        spec = planner.next_call()
        rng = random.Random(planner.rng.getrandbits(64))
        logger.debug("traffic: %s call %s -> %s (%s)", spec.kind, spec.caller, spec.to, spec.outcome)
        engine.start(call_events(spec, rng, now_ms(), engine.domain))


async def phone_loop(engine: Engine, planner: TrafficPlanner, ext: Extension) -> None:
    """Register ``ext``, refresh it before expiry, sometimes let it lapse and come back later."""
    for plan in planner.phone_plans(ext.num):
        await asyncio.sleep(plan.delay_s / engine.time_scale)
        engine.start(registration_events(ext, plan.expires, first=plan.first))
        if plan.lapses:
            logger.debug("traffic: phone %s will lapse after %s s", ext.num, plan.expires)
