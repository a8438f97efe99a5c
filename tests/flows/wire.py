"""A flow's events as the bot receives them from PBX API 2.0 or 3.0.

API 2.0: each event as written, through the 2.0 parser (``adapters.pbx.parse.parse_event``).
API 3.0: each event translated by the simulator's own :class:`V3Translator` (it names every call
with a ``call_uuid`` and adds ``call_end`` with the PBX's verdict when a call's last leg ends),
then through the 3.0 parser of ``adapters/pbx/v3`` (:func:`adapters.pbx.v3.parse.parse_v3`). The
translator is the PBX's side: it sees every event, also those inside a link gap that never reach
the bot, and lives across the bot's restarts. A flow names no calls, so the PBX's call of each
new leg (the translator's ``owner_of``) is the call a shadow 2.0 tracker, fed every event of the
flow (gaps included: the PBX sees them), puts it in: the grouping the flow's author wrote for.
What 3.0 adds on top (``call_uuid`` grouping, ``call_end`` verdicts and the wait for them, the
3.0 parser) is then what the 3.0 run tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.pbx.parse import parse_event
from adapters.pbx.simulator.flow import Flow, FlowStep
from adapters.pbx.simulator.roster import Extension, Roster
from adapters.pbx.simulator.v3_wire import V3Translator
from adapters.pbx.stamps import to_ms
from adapters.pbx.v3.parse import parse_v3
from bot.events import ChannelCreate, PbxEvent
from bot.tracking import CallTracker

APIS = ("2", "3")
_STAMPS = ("created_stamp", "answered_stamp")


def roster_of(flow: Flow) -> Roster:
    """The flow's extensions: every short number it names as a caller or destination."""
    nums = {str(s.payload.get(k, "")) for s in flow.steps for k in ("caller_number", "destination_number")}
    return Roster(tuple(Extension(n, n) for n in sorted(nums) if n.isdigit() and 2 <= len(n) <= 5))


class Wire:
    """Turns the flow's steps into core events for one API; ``pbx_ms`` is the PBX's clock."""

    def __init__(self, api: str, flow: Flow, pbx_ms: Callable[[], int]) -> None:
        self.api = api
        self._shadow = CallTracker(clock=lambda: pbx_ms() / 1000, country="RU")
        self._owner: dict[str, str] = {}  # leg uuid -> its call (the shadow tracker's call id)
        self._v3 = V3Translator(roster_of(flow), stamp_unit=flow.stamp_unit, owner_of=self._owner.get,
                                owned_by=lambda run: [], clock_ms=pbx_ms)  # fmt: skip

    def events(self, step: FlowStep) -> list[PbxEvent]:
        """What the PBX sends for one step (call it also for steps the bot never receives)."""
        event = parse_event(step.name, step.payload)
        if self.api == "2":
            return [event]
        self._shadow.feed(event)
        if isinstance(event, ChannelCreate):
            self._owner[event.uuid] = self._shadow.call_of(event.uuid) or event.uuid
        payload: dict[str, Any] = {**step.payload}
        for key in _STAMPS:  # the translator takes the engine's ms and writes the flow's unit
            if isinstance(payload.get(key), int):
                payload[key] = to_ms(payload[key])
        return [parse_v3(name, data) for name, data in self._v3.translate(step.name, payload)]
