"""The ingest fast paths agree with the general ones they bypass.

``Link.serve`` decodes a whole frame directly (no payload framing); the reference
feeds every text through the ``PayloadDecoder`` as before. ``parse_event``'s generated builders
are compared with the generic per-field loop they replaced.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.pbx import parse
from adapters.pbx.v2 import socketio09 as sio
from adapters.pbx.v2.transport import Link, LinkClosed, LinkStats
from bot.errors import MalformedEvent, ProtocolError
from bot.events import EVENT_TYPES
from tests.pbx.test_properties import json_values, packets

MARK = "\ufffd"
NO_HEARTBEAT = sio.Handshake("sid", None, None, ("websocket",))


class FakeWs:
    """Replays texts as TEXT messages, then CLOSED; records what the link sends."""

    def __init__(self, texts: list[str]) -> None:
        self._msgs = [aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, t, None) for t in texts]
        self._msgs.reverse()
        self.sent: list[str] = []

    async def receive(self) -> aiohttp.WSMessage:
        if self._msgs:
            return self._msgs.pop()
        return aiohttp.WSMessage(aiohttp.WSMsgType.CLOSED, None, None)

    async def send_str(self, text: str) -> None:
        self.sent.append(text)

    async def close(self) -> None:
        self.sent.append("<close>")


Outcome = tuple[list[sio.Packet], list[str], int, str]


def _link(texts: list[str], max_frame: int) -> tuple[Link, FakeWs]:
    ws = FakeWs(texts)
    return Link(cast(Any, ws), NO_HEARTBEAT, LinkStats(), max_frame), ws


async def _reference(texts: list[str], max_frame: int) -> Outcome:
    """Every text through the PayloadDecoder, as the link did before its fast path."""
    link, ws = _link(texts, max_frame)
    out: list[sio.Packet] = []
    end = "the server closed the WebSocket"
    try:
        for text in texts:
            for packet in link._decode(text):
                if packet.type in (sio.HEARTBEAT, sio.ERROR, sio.DISCONNECT):
                    await link._control(packet)
                else:
                    out.append(packet)
    except LinkClosed as exc:
        end = str(exc)
    return out, ws.sent, link.stats.protocol_errors, end


async def _served(texts: list[str], max_frame: int) -> Outcome:
    link, ws = _link(texts, max_frame)
    out: list[sio.Packet] = []

    async def record(packet: sio.Packet) -> None:
        out.append(packet)

    with pytest.raises(LinkClosed) as exc:
        await link.serve(record)
    return out, ws.sent, link.stats.protocol_errors, str(exc.value)


async def _agree(texts: list[str], max_frame: int = sio.DEFAULT_MAX_FRAME) -> Outcome:
    expected = await _reference(texts, max_frame)
    assert await _served(texts, max_frame) == expected
    return expected


LITERAL = [
    '5:::{"name":"channel_hold","args":[{"uuid":"u1"}]}',
    '5:1+::{"name":"ping"}',
    '5::/ns:{"name":"x","args":[]}',
    "5:::",
    "5:::{",
    '5::: {"name":"lead"}',
    '5:::{"name":"trail"} ',
    '5:::{"name":"x"}x',
    "5:::[1]",
    '5:::{"name":1}',
    '5:::{"name":"x","args":{}}',
    '5:::{"name":"\\ud800","args":[NaN]}',
    "",
    "2::",
    "1::",
    "3:::hi",
    '4:::{"a":1}',
    '6:::1+["ok"]',
    "7:::0",
    "8::",
    "0::/ns",
    "9::",
    "garbage",
    MARK + "3" + MARK + "1::" + MARK + "3" + MARK + "2::",
    MARK + "3" + MARK + "1:",  # a payload split over two messages: the fast path must wait
    ":",
    MARK + "7" + MARK + "5:::{",
    MARK + "xx",
    '5:::{"name":"' + "z" * 80 + '"}',  # over the 64-character limit below
    '5:::{"name":"last"}',
]


async def test_literal_frames_agree_with_the_payload_decoder() -> None:
    out, sent, errors, end = await _agree(LITERAL, max_frame=64)
    names = [p.name for p in out if p.type == sio.EVENT]
    assert names == ["channel_hold", "ping", "x", "lead", "trail", "\ud800", "last"]
    assert out[0].args == ({"uuid": "u1"},) and out[1].id == "1" and out[1].ack_data
    assert sent == ["2::", "2::"] and errors == 11 and end == "the server closed the WebSocket"


async def test_client_not_handshaken_ends_before_later_frames() -> None:
    texts = ['5:::{"name":"a"}', "7:::1+0", '5:::{"name":"b"}']
    out, _, _, end = await _agree(texts)
    assert [p.name for p in out] == ["a"] and end == "the server reported: client not handshaken, reconnect"
    out, _, _, end = await _agree(["5:::{" + '"name":"a"}', "0::"])
    assert len(out) == 1 and end == "the server ended the session"


texts_of = st.one_of(
    packets().map(sio.encode),
    st.lists(packets(), min_size=1, max_size=3).map(sio.encode_payload),
    st.text(max_size=30),
    st.sampled_from(LITERAL),
    json_values.map(lambda v: "5:::" + sio._dumps({"name": "e", "args": [v]})),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(texts_of, max_size=6))
def test_random_messages_agree_with_the_payload_decoder(texts: list[str]) -> None:
    asyncio.run(_agree(texts, max_frame=200))


def _generic(name: str, payload: Any) -> Any:
    """The per-field loop ``parse_event`` used before its builders were generated."""
    cls = EVENT_TYPES[name]
    if type(payload) is not dict:
        raise MalformedEvent(name, f"payload is {type(payload).__name__}, not an object")
    values = []
    for key, fast, ok, kind, req, default in parse._spec(cls):
        v = payload.get(key)
        values.append(v if type(v) is fast and (v or ok) else parse._slow(name, key, kind, req, default, v))
    return cls(*values)


def _outcome(fn: Any, name: str, payload: Any) -> Any:
    try:
        return fn(name, payload)
    except MalformedEvent as exc:
        return ("malformed", exc.reason)


field_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6),
    st.sampled_from(["", " 7 ", "1.0e3", "12", "x"]), st.lists(st.integers(), max_size=2),
)  # fmt: skip
all_keys = sorted({f[0] for cls in EVENT_TYPES.values() for f in parse._spec(cls)})


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(EVENT_TYPES)),
    st.one_of(st.dictionaries(st.sampled_from(all_keys), field_values, max_size=10), json_values),
)
def test_generated_builders_match_the_generic_loop(name: str, payload: Any) -> None:
    assert _outcome(parse.parse_event, name, payload) == _outcome(_generic, name, payload)


def test_payload_length_past_shorter_astral_text_is_a_protocol_error() -> None:
    decoder = sio.PayloadDecoder()  # 3 UTF-16 units announced, 4 buffered in two characters
    with pytest.raises(ProtocolError, match="splits a character"):
        decoder.feed(MARK + "3" + MARK + "\U00010000\U00010000")
    assert decoder.feed(MARK + "3" + MARK + "\U00010000") == [] and decoder.buffered == 4
