"""Hypothesis: every packet round-trips; random text only ever raises ProtocolError."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.pbx.v2 import socketio09 as sio
from bot.errors import ProtocolError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
ids = st.from_regex(r"\A[0-9]{0,4}\Z")
endpoints = st.from_regex(r"\A[^:]{0,8}\Z")


@st.composite
def packets(draw: Any) -> sio.Packet:
    ptype = draw(st.integers(0, 8))
    pid = draw(ids)
    common = {"id": pid, "ack_data": bool(pid) and draw(st.booleans()), "endpoint": draw(endpoints)}
    if ptype == sio.EVENT:
        return sio.Packet(
            ptype, name=draw(st.text()), args=tuple(draw(st.lists(json_values, max_size=3))), **common
        )
    if ptype == sio.ACK:
        return sio.Packet(
            ptype,
            ack_id=draw(st.from_regex(r"\A[0-9]{1,4}\Z")),
            args=tuple(draw(st.lists(json_values, max_size=3))),
            **common,
        )
    if ptype == sio.JSON:
        return sio.Packet(ptype, data=draw(json_values), **common)
    return sio.Packet(ptype, data=draw(st.text()), **common)


@settings(max_examples=120, deadline=None)
@given(packets())
def test_round_trip(packet: sio.Packet) -> None:
    assert sio.decode(sio.encode(packet)) == packet
    assert sio.PayloadDecoder().feed(sio.encode_payload([packet, packet])) == [packet, packet]


@settings(max_examples=300, deadline=None)
@given(
    st.text()
    | st.builds(
        lambda a, b: a + b, st.sampled_from(["5:::", "6:::1+", "4:::", "\ufffd", "\ufffd3\ufffd"]), st.text()
    )
)
def test_random_text_only_protocol_errors(text: str) -> None:
    for call in (lambda: sio.decode(text, max_size=64), lambda: sio.PayloadDecoder(64).feed(text)):
        try:
            call()
        except ProtocolError:
            pass
