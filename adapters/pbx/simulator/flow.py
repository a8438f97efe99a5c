"""Call flows: one JSON file per real-world call flow, playable by the simulator and by tests.

A flow says what happened at the PBX, in core terms (event names and payload fields of
onlinepbx-ws-api-2.md, never a wire framing), and which alerts each chat must get::

    {"title": "...", "covers": ["item 1"],
     "chats": {"sales": {"bind": ["201"]}, "boss": {"alert_all_missed": true}},
     "steps": [
       {"at": 0, "event": "channel_create", "data": {"uuid": "A", "direction": "inbound", ...}},
       {"at": 12, "link": "down"}, {"at": 20, "link": "up"}, {"at": 30, "restart": true}
     ],
     "end_at": 200,
     "expect": {"sales": [{"call": "A", "from": "79161234567", "rang": ["201"], "ring_s": 20}]}}

``at`` is seconds from the flow's start. Stamps the data leaves out are filled from ``at``:
``created_stamp`` of a ``channel_create`` (and of the same leg's ``channel_destroy``) and
``answered_stamp`` of a ``channel_answer``, in ``stamp_unit`` (``s``/``ms``/``us``, default ``ms``)
on a PBX clock ``pbx_clock_offset_s`` ahead of the local one. ``link`` markers bound a gap: the
events inside it happened at the PBX but never reached the bot. ``restart`` restarts the bot (a gap
of no length). ``{"seed": true}`` is when the phone list (``user_list``: every device the PBX has
registered) arrives after a (re)connect, if not at once;
``{"store": "down"}`` / ``"up"`` make the bot's outbox refuse writes for a while, and
``{"done": "A", "by": "Anna"}`` is a person pressing Done on call A's missed-call alert (test runner
only; the simulator plays none of them). ``end_at`` is how long the flow runs (ticks included).
``expect`` lists per chat the alerts in the order they are queued: a missed call (``call``,
``from``, ``rang``, ``ring_s`` and optional ``internal``/``uncertain``), a registration (``reg``,
``online``, ``flaps`` if > 1) or, for chats with ``alert_calls``, a call card's last state
(``card``, ``direction``, ``phase``, ``missed``). A missed call's alert that a later call resolved
(issue #13: callback, called again, Done) or that someone tried to call back also lists its final
text's follow-up lines: ``"followup": ["✅ Called back by 201 (Anna) at 22:18, talked 1:00"]``.
``"names": {"201": "Anna"}`` are the extensions' owners (the PBX's user list), and
``"resolve_window_h"`` the window a missed call can be resolved in (``BOT_RESOLVE_WINDOW_H``,
default 24).

Every flow runs on both PBX APIs (tests/flows): as written through the 2.0 parser, and translated
by the simulator's :class:`~adapters.pbx.simulator.v3_wire.V3Translator` (``call_uuid``,
``call_end``) through the 3.0 parser; both must give ``expect``. ``"apis": ["2"]`` with
``"apis_why": "..."`` limits a flow that 3.0 cannot express; ``"expect_api": {"3": {...},
"why": "..."}`` gives one API its own expected alerts where its PBX decides differently.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.pbx.simulator.scenario import Scenario, ScenarioError, ScenarioStep

MARKERS = ("down", "up", "restart", "seed", "store_down", "store_up", "done")
_UNITS = {"s": 1, "ms": 1000, "us": 1_000_000}


@dataclass(frozen=True, slots=True)
class FlowStep:
    at: float
    name: str  # event name; "" for a marker
    payload: dict[str, Any]
    marker: str = ""  # one of MARKERS


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    title: str
    chats: dict[str, dict[str, Any]]
    steps: tuple[FlowStep, ...]
    end_at: float
    expect: dict[str, list[dict[str, Any]]]
    stamp_unit: str = "ms"
    pbx_clock_offset_s: float = 0.0
    apis: tuple[str, ...] = ("2", "3")  # the PBX APIs the flow can be played on
    expect_api: dict[str, dict[str, list[dict[str, Any]]]] = dataclasses.field(default_factory=dict)
    names: dict[str, str] = dataclasses.field(default_factory=dict)  # extension -> its owner
    resolve_window_h: float = 24.0

    def expected(self, api: str) -> dict[str, list[dict[str, Any]]]:
        """The alerts expected on PBX API ``api`` ("2" or "3")."""
        return self.expect_api.get(api, self.expect)


def is_flow(obj: Any) -> bool:
    """A flow (rather than a plain scenario) has an ``expect`` section."""
    return isinstance(obj, dict) and "expect" in obj


def load_flow(path: str | Path, *, t0_s: float | None = None) -> Flow:
    """Read a flow file; stamps are counted from ``t0_s`` (default: now)."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"cannot read flow {path}: {exc}") from None
    return parse_flow(obj, Path(path).stem, time.time() if t0_s is None else t0_s)


def parse_flow(obj: Any, name: str, t0_s: float) -> Flow:
    """Validate a decoded flow and fill in its stamps (see the module docstring)."""
    if not is_flow(obj) or not isinstance(obj.get("steps"), list):
        raise ScenarioError(f'flow {name}: needs "steps" and "expect"')
    unit = _UNITS.get(str(obj.get("stamp_unit", "ms")))
    if unit is None:
        raise ScenarioError(f"flow {name}: stamp_unit must be s, ms or us")
    pbx_t0 = t0_s + float(obj.get("pbx_clock_offset_s", 0))
    created: dict[str, int] = {}
    steps = []
    for i, raw in enumerate(obj["steps"], 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("at"), int | float):
            raise ScenarioError(f'flow {name} step {i}: needs "at" seconds')
        at = float(raw["at"])
        if raw.get("restart"):
            steps.append(FlowStep(at, "", {}, "restart"))
        elif raw.get("seed") is True:
            steps.append(FlowStep(at, "", {}, "seed"))
        elif isinstance(raw.get("done"), str):
            steps.append(FlowStep(at, "", {"call": raw["done"], "by": str(raw.get("by", ""))}, "done"))
        elif raw.get("store") in ("down", "up"):
            steps.append(FlowStep(at, "", {}, f"store_{raw['store']}"))
        elif raw.get("link") in ("down", "up"):
            steps.append(FlowStep(at, "", {}, str(raw["link"])))
        elif isinstance(raw.get("event"), str) and isinstance(raw.get("data"), dict):
            data = dict(raw["data"])
            stamp = int((pbx_t0 + at) * unit)
            if raw["event"] == "channel_create":
                data.setdefault("created_stamp", stamp)
                created[str(data.get("uuid"))] = data["created_stamp"]
            elif raw["event"] == "channel_destroy" and str(data.get("uuid")) in created:
                data.setdefault("created_stamp", created[str(data["uuid"])])
            elif raw["event"] == "channel_answer":
                data.setdefault("answered_stamp", stamp)
            steps.append(FlowStep(at, raw["event"], data))
        else:
            raise ScenarioError(f"flow {name} step {i}: needs an event with data, a link or a restart")
    if [s.at for s in steps] != sorted(s.at for s in steps):
        raise ScenarioError(f"flow {name}: steps must be in time order")
    end_at = float(obj.get("end_at", steps[-1].at + 1 if steps else 0))
    expect = obj["expect"]
    chats = obj.get("chats", {})
    if not isinstance(expect, dict) or not isinstance(chats, dict) or set(expect) - set(chats):
        raise ScenarioError(f"flow {name}: expect names chats that are not in chats")
    apis, expect_api = tuple(obj.get("apis", ("2", "3"))), obj.get("expect_api", {})
    if apis != ("2", "3") and not obj.get("apis_why"):
        raise ScenarioError(f'flow {name}: "apis" needs "apis_why", the reason')
    if expect_api and not expect_api.get("why"):
        raise ScenarioError(f'flow {name}: "expect_api" needs "why", the reason')
    return Flow(
        name,
        str(obj.get("title", name)),
        chats,
        tuple(steps),
        end_at,
        expect,
        str(obj.get("stamp_unit", "ms")),
        float(obj.get("pbx_clock_offset_s", 0)),
        apis,
        {k: v for k, v in expect_api.items() if k in ("2", "3")},
        {str(k): str(v) for k, v in obj.get("names", {}).items()},
        float(obj.get("resolve_window_h", 24)),
    )


def delivered(flow: Flow) -> list[FlowStep]:
    """The events that reach the bot: those outside link gaps."""
    out, down = [], False
    for step in flow.steps:
        if step.marker in ("down", "up"):
            down = step.marker == "down"
        elif step.name and not down:
            out.append(step)
    return out


def flow_scenario(flow: Flow) -> Scenario:
    """The flow as a simulator scenario: every event the bot would see, at its time (events at
    the same moment 1 ms apart, so they go out in the flow's order whatever the time scale)."""
    return Scenario(
        tuple(
            ScenarioStep(s.at + i / 1000, "event", {"name": s.name, "data": s.payload})
            for i, s in enumerate(delivered(flow))
        )
    )
