"""Pure builders of whole call sequences (wire-calls.md): spec + rng + start time -> steps.

Strategy: a :class:`CallSpec` says who calls whom and how it ends; :func:`call_events` turns it
into time-ordered :class:`~.legs.Step` s. No I/O, no global random: same rng state, same events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from adapters.pbx.simulator.legs import Leg, Payload, Step, blf, bridge, new_uuid

Kind = Literal["inbound", "internal", "outgoing"]
Outcome = Literal["answered", "missed"]
#: the A-leg's cause when every B-leg ended with the key (anything else: NORMAL_CLEARING)
_A_CAUSE = {"ORIGINATOR_CANCEL": "ORIGINATOR_CANCEL", "NO_ANSWER": "NO_ANSWER",
            "NO_USER_RESPONSE": "NO_ANSWER"}


@dataclass(frozen=True, slots=True)
class CallSpec:
    """One call. ``to``: what was dialled; ``ring``: the extensions (or, outgoing, the number)
    whose legs ring; ``cause``: the B-legs' hangup cause when missed."""

    kind: Kind
    caller: str
    to: str
    ring: tuple[str, ...]
    outcome: Outcome = "answered"
    caller_name: str = ""
    answered_by: str = ""
    ring_s: float = 5.0
    talk_s: float = 30.0
    cause: str = "ORIGINATOR_CANCEL"
    gate: str = ""
    ivr: bool = False
    losing_cause: str = "LOSE_RACE"
    names: dict[str, str] = field(default_factory=dict)  # extension -> display name


class _Seq:
    """Accumulates steps; ``t0_ms`` + offset gives every stamp."""

    def __init__(self, t0_ms: int) -> None:
        self.t0_ms = t0_ms
        self.steps: list[Step] = []

    def ms(self, at: float) -> int:
        return self.t0_ms + round(at * 1000)

    def add(self, at: float, name: str, payload: Payload) -> None:
        self.steps.append(Step(round(at, 3), name, payload))

    def sorted(self) -> list[Step]:
        return sorted(self.steps, key=lambda s: s.at)  # stable: equal times keep their order


def call_events(spec: CallSpec, rng: random.Random, t0_ms: int, domain: str) -> list[Step]:
    """The full event sequence of ``spec`` starting at UNIX ms ``t0_ms`` (offsets in seconds)."""
    seq = _Seq(t0_ms)
    external = spec.kind == "inbound"
    a_end = spec.caller if external else f"{spec.caller}@{domain}"
    name = spec.caller_name or spec.names.get(spec.caller, spec.caller)
    a = Leg(new_uuid(rng), "inbound", t0_ms, a_end, domain, spec.caller, name, spec.to,
            spec.gate if external else "")
    seq.add(0.0, "channel_create", a.create())
    if spec.ivr and external:
        seq.add(0.02, "channel_answer", a.answer(seq.ms(0.02)))
    if not external:
        seq.add(0.01, "blf", blf(spec.caller, "ringing", a.uuid, spec.to, seq.ms(0.01), inbound=False))
    legs = _ring_legs(seq, spec, a, rng, domain)
    if spec.outcome == "answered" and spec.answered_by in {leg.destination_number for leg in legs}:
        _answered(seq, spec, a, legs)
    else:
        _missed(seq, spec, a, legs)
    return seq.sorted()


def _ring_legs(seq: _Seq, spec: CallSpec, a: Leg, rng: random.Random, domain: str) -> list[Leg]:
    legs = []
    outgoing = spec.kind == "outgoing"
    for target in spec.ring:
        at = round(rng.uniform(0.05, 0.3), 3)
        leg = Leg(new_uuid(rng), "outbound", seq.ms(at), target if outgoing else f"{target}@{domain}", domain,
                  spec.gate or spec.caller if outgoing else spec.caller, a.caller_name, target,
                  spec.gate if spec.kind != "internal" else "")
        seq.add(at, "channel_create", leg.create())
        if not outgoing:
            seq.add(at + 0.01, "blf", blf(target, "ringing", leg.uuid, spec.caller, seq.ms(at)))
        legs.append(leg)
    return legs


def _lamp(seq: _Seq, at: float, spec: CallSpec, leg: Leg, status: str) -> None:
    if leg.ext:
        seq.add(at, "blf", blf(leg.ext, status, leg.uuid, spec.caller, seq.ms(at)))


def _caller_lamp(seq: _Seq, at: float, spec: CallSpec, a: Leg, status: str) -> None:
    if spec.kind != "inbound":
        seq.add(at, "blf", blf(spec.caller, status, a.uuid, spec.to, seq.ms(at), inbound=False))


def _answered(seq: _Seq, spec: CallSpec, a: Leg, legs: list[Leg]) -> None:
    t = max(spec.ring_s, 0.35)
    winner = next(leg for leg in legs if leg.destination_number == spec.answered_by)
    seq.add(t, "channel_answer", winner.answer(seq.ms(t)))
    if not (spec.ivr and spec.kind == "inbound"):
        seq.add(t + 0.01, "channel_answer", a.answer(seq.ms(t + 0.01)))
    seq.add(t + 0.02, "channel_bridge", bridge(a.uuid, winner.uuid))
    _lamp(seq, t + 0.03, spec, winner, "answered")
    _caller_lamp(seq, t + 0.03, spec, a, "answered")
    for i, leg in enumerate(x for x in legs if x is not winner):
        seq.add(t + 0.04 + i * 0.01, "channel_destroy", leg.destroy(spec.losing_cause))
        _lamp(seq, t + 0.045 + i * 0.01, spec, leg, "hangup")
    end = t + max(spec.talk_s, 0.1)
    seq.add(end, "channel_destroy", winner.destroy("NORMAL_CLEARING"))
    seq.add(end + 0.01, "channel_destroy", a.destroy("NORMAL_CLEARING"))
    _lamp(seq, end + 0.02, spec, winner, "hangup")
    _caller_lamp(seq, end + 0.02, spec, a, "hangup")


def _missed(seq: _Seq, spec: CallSpec, a: Leg, legs: list[Leg]) -> None:
    t = max(spec.ring_s, 0.35)
    for i, leg in enumerate(legs):
        seq.add(t + i * 0.01, "channel_destroy", leg.destroy(spec.cause))
        _lamp(seq, t + 0.005 + i * 0.01, spec, leg, "hangup")
    end = t + 0.05 + len(legs) * 0.01
    seq.add(end, "channel_destroy", a.destroy(_A_CAUSE.get(spec.cause, "NORMAL_CLEARING")))
    _caller_lamp(seq, end + 0.01, spec, a, "hangup")
