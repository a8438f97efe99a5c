"""The Socket.IO 0.9 codec from literal frame strings (whole, in pieces, char by char)."""

from __future__ import annotations

import pytest

from adapters.pbx.v2 import socketio09 as sio
from bot.errors import FrameTooLarge, ProtocolError

FRAMES = {
    "0::": sio.Packet(sio.DISCONNECT),
    "0::/pbx": sio.Packet(sio.DISCONNECT, endpoint="/pbx"),
    "1::": sio.CONNECT_PACKET,
    "2::": sio.HEARTBEAT_PACKET,
    "3:::hello: world": sio.Packet(sio.MESSAGE, data="hello: world"),
    '4:::{"a":1}': sio.Packet(sio.JSON, data={"a": 1}),
    '5:::{"name":"blf","args":[{"uid":"201"}]}': sio.event("blf", {"uid": "201"}),
    '5:1+::{"name":"x"}': sio.Packet(sio.EVENT, id="1", ack_data=True, name="x"),
    '6:::4+["ok"]': sio.Packet(sio.ACK, ack_id="4", args=("ok",)),
    "6:::4": sio.Packet(sio.ACK, ack_id="4"),
    "7:::1+0": sio.Packet(sio.ERROR, data="1+0"),
    "8::": sio.Packet(sio.NOOP),
}


@pytest.mark.parametrize("frame", sorted(FRAMES))
def test_decode_and_encode_literal_frames(frame: str) -> None:
    assert sio.decode(frame) == FRAMES[frame]
    assert sio.encode(FRAMES[frame]) == frame


def test_constants_round_trip() -> None:
    for packet in (sio.CONNECT_PACKET, sio.HEARTBEAT_PACKET, sio.DISCONNECT_PACKET, sio.Packet(sio.MESSAGE)):
        assert sio.decode(sio.encode(packet)) == packet
    assert sio.Packet(sio.CONNECT).data == "" and sio.Packet(sio.HEARTBEAT, data="x").data is None


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "9::",
        "x",
        "5:::",
        "5:::{bad",
        '5:::{"args":[]}',
        '5:::{"name":"a","args":{}}',
        "6:::+",
        "4:::[" * 3,
        "5:+::{}",
        "1",
        "4:::" + "[" * 100_000,
        '6:::1+{"a":1}',
    ],
)
def test_garbage_is_protocol_error(frame: str) -> None:
    with pytest.raises(ProtocolError):
        sio.decode(frame)


def test_frame_too_large() -> None:
    with pytest.raises(FrameTooLarge):
        sio.decode("3:::" + "x" * 100, max_size=50)


def test_error_text() -> None:
    assert sio.error_text(sio.decode("7:::1+0")) == "client not handshaken, reconnect"
    assert sio.error_text(sio.decode("7:::2")) == "unauthorized"


PAYLOAD = (
    '\ufffd3\ufffd1::\ufffd3\ufffd2::\ufffd36\ufffd5:::{"name":"a","args":[{"x":"😀"}]}\ufffd6\ufffd3:::Ж€'
)
EXPECTED = [
    sio.CONNECT_PACKET,
    sio.HEARTBEAT_PACKET,
    sio.event("a", {"x": "😀"}),
    sio.Packet(sio.MESSAGE, data="Ж€"),
]


def test_payload_whole_and_encode_payload() -> None:
    # 36 counts UTF-16 code units, as JavaScript does: the emoji is two of them.
    assert sio.PayloadDecoder().feed(PAYLOAD) == EXPECTED
    assert sio.encode_payload(EXPECTED) == PAYLOAD


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 11])
def test_payload_in_pieces(size: int) -> None:
    decoder = sio.PayloadDecoder()
    got = []
    for i in range(0, len(PAYLOAD), size):
        got += decoder.feed(PAYLOAD[i : i + size])
    assert got == EXPECTED
    assert decoder.buffered == 0


def test_plain_frames_and_empty_feed() -> None:
    decoder = sio.PayloadDecoder()
    assert decoder.feed("2::") == [sio.HEARTBEAT_PACKET]
    assert decoder.feed("") == []


def test_payload_bad_packet_keeps_the_rest() -> None:
    decoder = sio.PayloadDecoder()
    with pytest.raises(ProtocolError):
        decoder.feed("\ufffd3\ufffd1::\ufffd3\ufffdzz:\ufffd3\ufffd2::")
    assert decoder.feed("") == [sio.CONNECT_PACKET, sio.HEARTBEAT_PACKET]


@pytest.mark.parametrize("text", ["\ufffdab\ufffd1::", "\ufffd" + "9" * 20, "\ufffd2\ufffd😀"])
def test_payload_garbage(text: str) -> None:
    decoder = sio.PayloadDecoder()
    with pytest.raises(ProtocolError):
        decoder.feed(text)
        decoder.feed("x" * 40)


def test_payload_too_large() -> None:
    with pytest.raises(FrameTooLarge):
        sio.PayloadDecoder(max_size=10).feed("\ufffd100\ufffd3:::")
    with pytest.raises(FrameTooLarge):
        sio.PayloadDecoder(max_size=10).feed("3:::" + "x" * 20)


def test_handshake_round_trip() -> None:
    text = "q2yoZ:60:60:websocket,xhr-polling"
    answer = sio.parse_handshake(text)
    assert answer == sio.Handshake("q2yoZ", 60.0, 60.0, ("websocket", "xhr-polling"))
    assert sio.format_handshake(answer) == text
    assert sio.parse_handshake("s::60:websocket").heartbeat_timeout is None
    for bad in ("", "nope", "s:x:1:websocket"):
        with pytest.raises(ProtocolError):
            sio.parse_handshake(bad)
