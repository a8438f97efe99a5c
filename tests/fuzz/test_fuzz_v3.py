"""Fuzz (issue 19): API 3.0 frames. Any text is a frame or a :class:`ProtocolError` (deep nesting
included: it dropped the session before), and any decoded event becomes a core event or a
:class:`MalformedEvent`; nothing else escapes the parser."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.pbx.v3 import wire
from adapters.pbx.v3.parse import parse_v3
from bot.errors import MalformedEvent, ProtocolError
from tests.fuzz.strategies import FIELDS, json_scalars, json_values, nasty_text

NAMES = ("channel_create", "channel_answer", "channel_bridge", "channel_destroy", "channel_hold",
         "channel_unhold", "channel_application", "call_end", "user_blf", "user_registration",
         "gateway_status", "subscribed", "error_subscribe", "weird")
V3_FIELDS = (*FIELDS, "call_uuid", "uuids", "gateway_number", "gateway_id", "user_agent", "start_stamp",
             "end_stamp", "user_talk_time", "type")
payloads = st.one_of(json_values, st.dictionaries(st.sampled_from(V3_FIELDS), st.one_of(
    json_scalars, json_values, st.sampled_from([10**20, float("inf"), 1e308, "1e400", [1, 2], ["a"]])),
    max_size=8))
frames = st.one_of(
    st.text(max_size=80),
    st.builds(lambda n, d, r: json.dumps({"event": n, "data": d, "reqId": r}), st.sampled_from(NAMES),
              payloads, st.one_of(st.none(), nasty_text, st.integers())),
    st.builds(lambda n: '{"event": "channel_create", "data": ' + "[" * n + "]" * n + "}",
              st.integers(0, 50_000)),
    st.builds(lambda n: "{" * n, st.integers(0, 50_000)),
    st.builds(json.dumps, json_values),
)


@settings(max_examples=300, deadline=None)
@given(frames)
def test_a_frame_decodes_or_is_a_protocol_error(text: str) -> None:
    try:
        frame = wire.decode(text)
    except ProtocolError:
        return
    if not wire.is_reply(frame):
        try:
            parse_v3(frame.event, frame.data)
        except MalformedEvent:
            pass


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), payloads)
def test_an_event_is_a_core_event_or_malformed(name: str, data: Any) -> None:
    try:
        parse_v3(name, data)
    except MalformedEvent:
        pass
