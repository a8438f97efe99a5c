"""Scenario files: JSON scripts of exact event sequences for tests and demos.

Strategy: :func:`parse_scenario` validates everything up front and raises :class:`ScenarioError`
naming the step and field; :func:`compile_scenario` turns the steps into timed step lists (one
per call, so ``hangup_call`` on one call leaves the others playing). Format: see demo.json.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from adapters.pbx.simulator.actions import registration_events
from adapters.pbx.simulator.calls import CallSpec, call_events
from adapters.pbx.simulator.legs import Step, blf
from adapters.pbx.simulator.roster import Extension, Roster
from bot.errors import BotError

KINDS = ("register", "unregister", "call", "event", "outage")
#: the step an "outage" compiles to: the server drops sockets for ``seconds`` (never broadcast)
OUTAGE_EVENT = "sim_outage"


class ScenarioError(BotError):
    """A scenario file is unreadable or invalid; the message names the step and the field."""


@dataclass(frozen=True, slots=True)
class ScenarioStep:
    at: float
    kind: str  # register | unregister | call | event
    data: dict[str, Any]
    spec: CallSpec | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    steps: tuple[ScenarioStep, ...]


DEMO_PATH = Path(__file__).with_name("demo.json")


def demo_scenario() -> Scenario:
    """The shipped demo (registrations, a missed ring-group call, answered calls, a phone going
    offline), for ``make demo``."""
    return load_scenario(DEMO_PATH)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario JSON file, or a call flow file (``adapters.pbx.simulator.flow``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from None
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise ScenarioError(f"scenario {path} is not valid JSON: {exc}") from None
    from adapters.pbx.simulator.flow import flow_scenario, is_flow, parse_flow  # flow builds on this

    if is_flow(obj):  # a call flow of tests/flows: played as the events the bot would see
        return flow_scenario(parse_flow(obj, Path(path).stem, time.time()))
    return parse_scenario(obj)


def parse_scenario(obj: Any) -> Scenario:
    """Validate a decoded scenario (``{"steps": [...]}``)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("steps"), list):
        raise ScenarioError('a scenario is an object with a "steps" list')
    return Scenario(tuple(_step(i, s) for i, s in enumerate(obj["steps"], 1)))


def _step(i: int, raw: Any) -> ScenarioStep:
    where = f"step {i}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: must be an object")
    at = raw.get("at")
    if isinstance(at, bool) or not isinstance(at, int | float) or at < 0:
        raise ScenarioError(f'{where}: "at" must be a number of seconds >= 0')
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        raise ScenarioError(f"{where}: needs exactly one of {', '.join(KINDS)}")
    kind = kinds[0]
    if kind == "event":
        if not isinstance(raw["event"], str) or not raw["event"] or not isinstance(raw.get("data"), dict):
            raise ScenarioError(f'{where}: "event" needs a name and a "data" object')
        return ScenarioStep(float(at), kind, {"name": raw["event"], "data": raw["data"]})
    body = raw[kind]
    if kind == "outage":
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise ScenarioError(f'{where}: outage.seconds must be a number of seconds > 0')
        return ScenarioStep(float(at), kind, {"seconds": float(seconds)})
    if not isinstance(body, dict):
        raise ScenarioError(f"{where}: {kind} must be an object")
    if kind == "call":
        return ScenarioStep(float(at), kind, body, _call_spec(where, body))
    _text(where, body, "ext", kind)
    if kind == "register" and not isinstance(body.get("expires", 120), int):
        raise ScenarioError(f"{where}: register.expires must be whole seconds")
    return ScenarioStep(float(at), kind, body)


def _text(where: str, body: dict[str, Any], key: str, kind: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (default is None and not value):
        raise ScenarioError(f"{where}: {kind}.{key} must be a non-empty string")
    return value


def _seconds(where: str, body: dict[str, Any], key: str, default: float) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioError(f"{where}: call.{key} must be a number of seconds >= 0")
    return float(value)


def _call_spec(where: str, body: dict[str, Any]) -> CallSpec:
    frm, to = _text(where, body, "from", "call"), _text(where, body, "to", "call")
    outcome = body.get("outcome", "answered")
    if outcome not in ("answered", "missed"):
        raise ScenarioError(f"{where}: call.outcome must be 'answered' or 'missed'")
    ring = body.get("ring", [])
    if not isinstance(ring, list) or not all(isinstance(x, str | int) for x in ring):
        raise ScenarioError(f"{where}: call.ring must be a list of extensions")
    kind = body.get("kind", "")
    if kind not in ("", "inbound", "internal", "outgoing"):
        raise ScenarioError(f"{where}: call.kind must be inbound, internal or outgoing")
    answered_by = _text(where, body, "answered_by", "call", "")
    if outcome == "answered" and ring and answered_by and answered_by not in [str(x) for x in ring]:
        raise ScenarioError(f"{where}: call.answered_by {answered_by!r} is not in call.ring")
    return CallSpec(
        kind or "inbound", frm, to, tuple(str(x) for x in ring), outcome,
        caller_name=_text(where, body, "name", "call", ""), answered_by=answered_by,
        ring_s=_seconds(where, body, "ring_s", 5.0), talk_s=_seconds(where, body, "talk_s", 30.0),
        cause=_text(where, body, "cause", "call", "ORIGINATOR_CANCEL"),
        gate=_text(where, body, "gate", "call", ""), ivr=bool(body.get("ivr", False)),
        losing_cause=_text(where, body, "losing_cause", "call", "LOSE_RACE"),
    )


def _complete(spec: CallSpec, explicit_kind: bool, roster: Roster) -> CallSpec:
    """Fill what the file left out from the roster: kind, ringing legs, answerer, trunk, names."""
    kind = spec.kind
    if not explicit_kind:
        from_ext = roster.is_extension(spec.caller)
        kind = ("internal" if roster.members(spec.to) else "outgoing") if from_ext else "inbound"
    ring = spec.ring or ((spec.to,) if kind == "outgoing" else roster.members(spec.to) or (spec.to,))
    gate = spec.gate or ("" if kind == "internal" else roster.main_trunk)
    names = {e.num: e.name for e in roster.extensions}
    answered_by = spec.answered_by or ring[0]
    return replace(spec, kind=kind, ring=ring, gate=gate, answered_by=answered_by, names=names)


def compile_scenario(scenario: Scenario, roster: Roster, domain: str, rng: random.Random,
                     t0_ms: int) -> list[list[Step]]:
    """One list of steps per scenario step, offsets counted from the scenario's start."""
    out = []
    for step in scenario.steps:
        ms = t0_ms + round(step.at * 1000)
        steps = _compile(step, roster, domain, rng, ms)
        out.append([Step(round(s.at + step.at, 3), s.name, s.payload) for s in steps])
    return out


def _compile(step: ScenarioStep, roster: Roster, domain: str, rng: random.Random, ms: int) -> list[Step]:
    d = step.data
    if step.kind == "event":
        return [Step(0.0, str(d["name"]), dict(d["data"]))]
    if step.kind == "outage":
        return [Step(0.0, OUTAGE_EVENT, {"seconds": d["seconds"]})]
    if step.kind == "call" and step.spec is not None:
        return call_events(_complete(step.spec, "kind" in d, roster), rng, ms, domain)
    num = str(d["ext"])
    if step.kind == "unregister":
        return [Step(0.0, "blf", blf(num, "unregistered", "", "", ms))]
    known = roster.extension(num) or Extension(num, num)
    ext = Extension(num, known.name, str(d.get("agent", known.agent)), str(d.get("ip", known.ip)),
                    port=int(d.get("port", known.port)))
    return registration_events(ext, int(d.get("expires", 120)), first=bool(d.get("first", True)))
