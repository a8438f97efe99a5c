"""The simulated PBX's events in API 3.0 shape: 2.0-style engine events in, 3.0 events out.

Strategy: pure bookkeeping, no I/O. The engine plays the same calls for both APIs; this
translator gives every call a ``call_uuid`` (the run that owns a leg names its call), reshapes
each event (``uuids: [A, B]``, ``user_blf``, ``user_registration``, stamps in the chosen unit)
and, when a call's last leg ends, adds ``call_end`` with the PBX's verdict: ``user_talk_time``
counts from the first bridge, ``type`` is inbound / outbound / local.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.pbx.simulator.legs import Payload
from adapters.pbx.simulator.roster import Roster

Event3 = tuple[str, Payload]
STAMP_UNITS = {"s": 0.001, "ms": 1.0, "us": 1000.0}
_CREATE_KEYS = ("uuid", "direction", "state", "domain", "caller_number", "caller_name",
                "destination_number", "destination_host")  # fmt: skip
_CODEC_KEYS = ("read_codec", "read_rate", "read_bitrate", "write_codec", "write_rate", "write_bitrate")


@dataclass
class _Call:
    call_uuid: str
    first: Payload  # the first leg's channel_create (2.0 shape)
    live: set[str] = field(default_factory=set)
    talk_from_ms: int | None = None
    gate: str = ""
    cause: str = ""


def _ms(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


class V3Translator:
    """2.0-shaped engine events -> 3.0 events. ``owner_of(uuid)`` is the run owning a live leg,
    ``owned_by(run)`` the live legs of a run (both from the engine's book); ``clock_ms`` now."""

    def __init__(self, roster: Roster, *, stamp_unit: str = "s", owner_of: Callable[[str], object],
                 owned_by: Callable[[object], list[str]], clock_ms: Callable[[], int]) -> None:
        if stamp_unit not in STAMP_UNITS:
            raise ValueError(f"stamp unit must be one of {', '.join(STAMP_UNITS)}")
        self.roster, self.stamp_unit = roster, stamp_unit
        self._owner_of, self._owned_by, self._clock_ms = owner_of, owned_by, clock_ms
        self._leg_call: dict[str, _Call] = {}
        self._run_call: dict[object, _Call] = {}  # run (kept alive while its call lives) -> call
        self._open_by_caller: dict[str, _Call] = {}  # live inbound calls, for events with no run

    def stamp(self, ms: int) -> int:
        """UNIX ``ms`` in the configured unit."""
        return ms // 1000 if self.stamp_unit == "s" else round(ms * STAMP_UNITS[self.stamp_unit])

    def translate(self, name: str, p: Payload) -> list[Event3]:
        """The 3.0 events for one engine event (none for events 3.0 does not have)."""
        uuid = str(p.get("uuid", ""))
        if name == "channel_create":
            return [self._create(uuid, p)]
        call = self._leg_call.get(uuid)
        cid = call.call_uuid if call else ""
        if name == "channel_answer":
            return [("channel_answer", {"uuid": uuid, "call_uuid": cid,
                                        "answered_stamp": self.stamp(_ms(p.get("answered_stamp"))),
                                        **{k: str(p[k]) for k in _CODEC_KEYS if k in p}})]
        if name == "channel_bridge":
            return self._bridge(p)
        if name in ("channel_hold", "channel_unhold"):
            return [(name, {"uuid": uuid, "call_uuid": cid})]
        if name == "channel_destroy":
            return self._destroy(uuid, p, call)
        if name == "blf":
            return [("user_blf", dict(p))]
        if name == "registration":
            return [("user_registration", {**p, "date": self._clock_ms() // 1000})]
        return []  # channel_application, message: no 3.0 counterpart

    def _create(self, uuid: str, p: Payload) -> Event3:
        call = self._call_for(uuid, p)
        call.live.add(uuid)
        self._leg_call[uuid] = call
        call.gate = call.gate or str(p.get("gate", ""))
        data = {k: p.get(k, "") for k in _CREATE_KEYS}
        data.update(call_uuid=call.call_uuid, created_stamp=self.stamp(_ms(p.get("created_stamp"))),
                    gateway_id=str(p.get("gate", "")), gateway_number=str(p.get("gate", "")),
                    origin=self._origin(call))
        return ("channel_create", data)

    def _call_for(self, uuid: str, p: Payload) -> _Call:
        owner = self._owner_of(uuid)
        call = self._run_call.get(owner) if owner is not None else None
        if call is None and owner is not None:
            peers = [self._leg_call[u] for u in self._owned_by(owner) if u in self._leg_call]
            call = peers[0] if peers else None
        if call is None and owner is None and p.get("direction") == "outbound":
            call = self._open_by_caller.get(str(p.get("caller_number", "")))  # a raw emit: 2.0's rule
        if call is None:
            given = str(p.get("call_uuid", ""))
            call = _Call(given or str(uuidlib.uuid5(uuidlib.NAMESPACE_OID, uuid)), dict(p))
            if p.get("direction") == "inbound":
                self._open_by_caller[str(p.get("caller_number", ""))] = call
        if owner is not None:
            self._run_call[owner] = call
        return call

    def _bridge(self, p: Payload) -> list[Event3]:
        a, b = str(p.get("aleg_uuid", "")), str(p.get("bleg_uuid", ""))
        now = self._clock_ms()
        for leg in (a, b):
            call = self._leg_call.get(leg)
            if call is not None and call.talk_from_ms is None:
                call.talk_from_ms = now
        call = self._leg_call.get(a) or self._leg_call.get(b)
        return [("channel_bridge", {"uuids": [a, b], "direction": p.get("direction", ""),
                                    "call_uuid": call.call_uuid if call else ""})]

    def _destroy(self, uuid: str, p: Payload, call: _Call | None) -> list[Event3]:
        data = {"uuid": uuid, "call_uuid": call.call_uuid if call else "",
                "direction": p.get("direction", ""), "state": p.get("state", ""),
                "created_stamp": self.stamp(_ms(p.get("created_stamp"))),
                "hangup_cause": p.get("hangup_cause", "")}
        out: list[Event3] = [("channel_destroy", data)]
        if call is None:
            return out
        self._leg_call.pop(uuid, None)
        call.live.discard(uuid)
        if uuid == call.first.get("uuid") or not call.cause:
            call.cause = str(p.get("hangup_cause", ""))
        if not call.live:
            self._run_call = {k: c for k, c in self._run_call.items() if c is not call}
            caller = str(call.first.get("caller_number", ""))
            if self._open_by_caller.get(caller) is call:
                del self._open_by_caller[caller]
            out.append(("call_end", self.call_end(call)))
        return out

    def _origin(self, call: _Call) -> str:
        return "http_api" if call.first.get("direction") == "outbound" else ""

    def _type(self, call: _Call) -> str:
        first = call.first
        caller, dest = str(first.get("caller_number", "")), str(first.get("destination_number", ""))
        if first.get("direction") == "outbound":
            return "outbound"
        if not self.roster.is_extension(caller):
            return "inbound"
        external = dest.lstrip("+").isdigit() and len(dest.lstrip("+")) >= 6
        return "outbound" if external else "local"

    def call_end(self, call: _Call) -> Payload:
        """The ``call_end`` payload of a call whose last leg just ended (numbers in seconds)."""
        first, end_ms = call.first, self._clock_ms()
        start_ms = _ms(first.get("created_stamp")) or end_ms
        talk = 0 if call.talk_from_ms is None else max(1, round((end_ms - call.talk_from_ms) / 1000))
        return {
            "uuid": call.call_uuid, "caller_name": first.get("caller_name", ""),
            "caller_number": first.get("caller_number", ""),
            "destination_number": first.get("destination_number", ""),
            "from_host": first.get("domain", ""), "to_host": first.get("destination_host", ""),
            "start_stamp": start_ms // 1000, "end_stamp": end_ms // 1000,
            "duration": max(0, round((end_ms - start_ms) / 1000)), "user_talk_time": talk,
            "hangup_cause": call.cause, "type": self._type(call), "origin": self._origin(call),
            "gateway_id": call.gate, "gateway_number": call.gate,
        }
