"""API 3.0 event payloads -> the same frozen core events the 2.0 source produces.

Strategy: each 3.0 event is reshaped into its 2.0 counterpart's keys (``uuids: [A, B]`` ->
``aleg_uuid``/``bleg_uuid``, ``gateway_number`` -> ``gate``, ``user_blf`` -> ``blf``,
``user_registration`` -> ``registration``) and built by :func:`adapters.pbx.parse.parse_event`,
so typing, ``call_uuid`` -> ``call_id`` and stamp units are handled once. ``call_end`` becomes
:class:`bot.events.CallEnd`. Events of the gateway group and unknown names become ``RawEvent``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.pbx.parse import compile_builder, parse_event
from adapters.pbx.stamps import to_ms
from bot.errors import MalformedEvent
from bot.events import CallEnd, PbxEvent, RawEvent

_CALL_END = compile_builder(CallEnd, "call_end", {
    "call_id": "uuid", "destination": "destination_number", "gateway": "gateway_number"})  # fmt: skip
#: 3.0 name -> the 2.0 name whose dataclass it shares
_SAME_AS = {"user_blf": "blf", "user_registration": "registration"}
_PASS = frozenset({"channel_answer", "channel_destroy", "channel_hold", "channel_unhold",
                   "channel_application"})  # fmt: skip


def is_gateway_event(name: str) -> bool:
    """Events of the ``gateway`` group (their names are not declared: anything ``gateway*``)."""
    return name.startswith("gateway")


def parse_v3(name: str, data: Any) -> PbxEvent:
    """The core event for 3.0 event ``name``; MalformedEvent for a payload that cannot be one."""
    if name in _PASS:
        return parse_event(name, data)
    if name == "channel_create":
        return parse_event(name, _with_gate(_object(name, data)))
    if name == "channel_bridge":
        return parse_event(name, _legs(_object(name, data)))
    if name == "call_end":
        return _call_end(_object(name, data))
    if name in _SAME_AS:
        return parse_event(_SAME_AS[name], _registration(_object(name, data)))
    return RawEvent(name, data)


def _object(name: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise MalformedEvent(name, f"data is {type(data).__name__}, not an object")
    return data


def _with_gate(data: dict[str, Any]) -> dict[str, Any]:
    """``gate`` (the trunk) from ``gateway_number``, else ``gateway_id``."""
    if data.get("gate"):
        return data
    return {**data, "gate": data.get("gateway_number") or data.get("gateway_id") or ""}


def _legs(data: dict[str, Any]) -> dict[str, Any]:
    uuids = data.get("uuids")
    if "aleg_uuid" in data:
        return data
    if not isinstance(uuids, list) or len(uuids) != 2:
        raise MalformedEvent("channel_bridge", "uuids is not a list of two leg uuids")
    return {**data, "aleg_uuid": uuids[0], "bleg_uuid": uuids[1]}


def _registration(data: dict[str, Any]) -> dict[str, Any]:
    """``user_agent`` read as ``agent`` when that is what a server sends."""
    if "agent" not in data and "user_agent" in data:
        return {**data, "agent": data["user_agent"]}
    return data


def _call_end(data: dict[str, Any]) -> CallEnd:
    if not data.get("gateway_number") and data.get("gateway_id"):
        data = {**data, "gateway_number": data["gateway_id"]}
    end: CallEnd = _CALL_END(data)
    start, stop = to_ms(end.start_stamp), to_ms(end.end_stamp)
    if (start, stop) != (end.start_stamp, end.end_stamp):
        end = dataclasses.replace(end, start_stamp=start, end_stamp=stop)
    return end
