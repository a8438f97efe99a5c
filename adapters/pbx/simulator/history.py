"""The simulator's call history: one onlinePBX ``mongo_history`` record per call it played.

Strategy: the engine tells :meth:`HistoryRecorder.on_start` which legs a new call will create (the
first ``channel_create`` is the A-leg); every emitted event then updates it, and the A-leg's
destroy closes the record. Calls play whether or not a socket client is connected, so the history
also holds the calls nobody saw live. Records are plain dicts shaped like the HTTP API's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.pbx.simulator.legs import Payload, Step, ext_of


@dataclass
class _Open:
    a: Payload  # the A-leg's channel_create payload
    legs: dict[str, str] = field(default_factory=dict)  # B-leg uuid -> extension ("" external)
    answered: dict[str, float] = field(default_factory=dict)  # B-leg uuid -> answered (s)
    ended: dict[str, float] = field(default_factory=dict)  # B-leg uuid -> destroyed (s)


def _ms(raw: Any) -> float:
    try:
        return float(raw) / 1000.0
    except (TypeError, ValueError):
        return time.time()


class HistoryRecorder:
    """Builds history records from played calls; ``records`` is oldest-first by end."""

    def __init__(self, domain: str, clock: Callable[[], float] = time.time, keep: int = 200_000) -> None:
        self.domain, self._clock, self._keep = domain, clock, keep
        self.records: list[dict[str, Any]] = []
        self._open: dict[str, _Open] = {}
        self._leg_of: dict[str, str] = {}

    def on_start(self, steps: list[Step]) -> None:
        """A call's planned steps: remember its A-leg and ringing legs."""
        creates = [s.payload for s in sorted(steps, key=lambda s: s.at) if s.name == "channel_create"]
        if not creates:
            return
        a = str(creates[0].get("uuid", ""))
        call = self._open[a] = _Open(creates[0])
        for leg in creates[1:]:
            uuid = str(leg.get("uuid", ""))
            call.legs[uuid] = ext_of(str(leg.get("endpoint", "")))
            self._leg_of[uuid] = a

    def observe(self, name: str, payload: Payload) -> None:
        """Every emitted event; the A-leg's destroy turns the call into a record."""
        uuid = str(payload.get("uuid", ""))
        owner = self._open.get(self._leg_of.get(uuid, ""))
        if owner is not None and name == "channel_answer":
            owner.answered[uuid] = _ms(payload.get("answered_stamp"))
        elif owner is not None and name == "channel_destroy":
            owner.ended[uuid] = self._clock()
        elif name == "channel_destroy" and uuid in self._open:
            self._close(uuid, self._open.pop(uuid))

    def _close(self, uuid: str, call: _Open) -> None:
        for leg in call.legs:
            self._leg_of.pop(leg, None)
        end = self._clock()
        self.records.append(record(call, end, self.domain))
        if len(self.records) > self._keep:
            del self.records[: len(self.records) - self._keep]

    def search(self, lo: int, hi: int) -> list[dict[str, Any]]:
        """Records whose ``start_stamp`` is in ``[lo, hi]``, oldest start first."""
        found = [r for r in self.records if lo <= r["start_stamp"] <= hi]
        return sorted(found, key=lambda r: (r["start_stamp"], r["uuid"]))


def _accountcode(a: Payload) -> str:
    caller_is_ext = "@" in str(a.get("endpoint", ""))
    if not caller_is_ext:
        return "inbound"
    return "local" if not a.get("gate") else "outbound"


def record(call: _Open, end: float, domain: str) -> dict[str, Any]:
    """The history record of a finished call (``user_talk_time``: the answered legs' talk)."""
    a = call.a
    start = _ms(a.get("created_stamp"))
    talked = [max(0.0, call.ended.get(u, end) - at) for u, at in call.answered.items() if call.legs.get(u)]
    talk = max(1, round(sum(talked))) if talked else 0  # a person answered: never 0 (a fast clock)
    events: list[dict[str, Any]] = []
    for leg, ext in call.legs.items():
        if not ext:
            continue
        user: dict[str, Any] = {
            "type": "user",
            "timestamp": int(start),
            "uuid": leg,
            "number": ext,
            "end_stamp": int(call.ended.get(leg, end)),
        }
        if leg in call.answered:
            user["answered_stamp"] = int(call.answered[leg])
        events.append(user)
    return {
        "uuid": str(a.get("uuid", "")), "caller_id_number": str(a.get("caller_number", "")),
        "caller_id_name": str(a.get("caller_name", "")),
        "destination_number": str(a.get("destination_number", "")),
        "from_host": domain, "to_host": domain, "start_stamp": int(start), "end_stamp": int(end),
        "duration": max(0, round(end - start)), "user_talk_time": talk,
        "hangup_cause": "NORMAL_CLEARING", "accountcode": _accountcode(a), "gateway": str(a.get("gate", "")),
        "quality_score": 5, "events": events,
    }  # fmt: skip
