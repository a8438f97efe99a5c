"""The 3.0 wire without I/O: frames, reply matching (by reqId, else by event name), refusals,
and 3.0 payloads -> the core's events."""

from __future__ import annotations

import json

import pytest

from adapters.pbx.v3 import wire
from adapters.pbx.v3.parse import is_gateway_event, parse_v3
from bot.errors import MalformedEvent, ProtocolError
from bot.events import Blf, CallEnd, ChannelBridge, ChannelCreate, RawEvent, Registration


def test_encode_a_command_with_and_without_req_id() -> None:
    assert json.loads(wire.encode_command("bridge", {"uuids": ["a", "b"]}, "r1")) == {
        "command": "bridge", "reqId": "r1", "data": {"uuids": ["a", "b"]}}
    assert "reqId" not in json.loads(wire.encode_command("subscribe", {}, None))


@pytest.mark.parametrize("text", ["{oops", "[1, 2]", '{"data": {}}', '{"event": ""}', '"x"'])
def test_garbage_is_a_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        wire.decode(text)


def test_decode_reply_event_and_error() -> None:
    assert wire.decode('{"event": "bridged", "reqId": 7, "data": {"uuids": []}}') == wire.Frame(
        "bridged", "7", {"uuids": []})
    err = wire.decode('{"event": "error_transfer", "message": "NO_SUCH_CHANNEL"}')
    assert err.is_error and wire.is_reply(err) and err.message == "NO_SUCH_CHANNEL"
    assert not wire.is_reply(wire.decode('{"event": "channel_create", "data": {}}'))


def test_pending_matches_by_req_id_then_by_event_name_oldest_first() -> None:
    pending = wire.Pending()
    first, second = pending.add("transfer"), pending.add("transfer")
    bridge = pending.add("bridge")
    assert len({first, second, bridge}) == 3
    assert pending.match(wire.Frame("transferred", second)) == second
    assert pending.match(wire.Frame("transferred", second)) is None  # a late duplicate
    assert pending.match(wire.Frame("error_bridge", message="x")) == bridge  # no reqId: by name
    assert pending.match(wire.Frame("transferred")) == first
    assert pending.match(wire.Frame("transferred")) is None and pending.waiting == {}


def test_an_error_reply_is_a_typed_error_with_its_message() -> None:
    with pytest.raises(wire.PbxErrorEvent) as info:
        wire.result("transfer", wire.Frame("error_transfer", message="NO_SUCH_CHANNEL"))
    assert info.value.message == "NO_SUCH_CHANNEL" and info.value.command == "transfer"
    assert not info.value.refused_key
    assert wire.result("bridge", wire.Frame("bridged", data={"uuids": ["a"]})) == {"uuids": ["a"]}


def test_what_counts_as_a_refused_key() -> None:
    assert wire.refused_key(wire.Frame("error_subscribe", message="Invalid API key"))
    assert wire.refused_key(wire.Frame("error_auth"))
    assert not wire.refused_key(wire.Frame("error_subscribe", message="Unknown event group"))
    assert wire.refused_by_close(4401, "") and wire.refused_by_close(1000, "unauthorized")
    assert not wire.refused_by_close(1000, "") and not wire.refused_by_close(None, "")
    assert wire.camel("user_registration") == "userRegistration"


@pytest.mark.parametrize("stamp", [1700000000, 1700000000000, 1700000000000000, "1700000000"])
def test_channel_create_stamps_in_any_unit_and_call_uuid(stamp: object) -> None:
    ev = parse_v3("channel_create", {"uuid": "a", "call_uuid": "C", "direction": "inbound",
                                     "created_stamp": stamp, "gateway_number": "74951112233",
                                     "gateway_id": 12})  # fmt: skip
    assert ev == ChannelCreate("a", "inbound", 1700000000000, gate="74951112233", call_id="C")


def test_bridge_user_groups_and_call_end() -> None:
    bridge = parse_v3("channel_bridge", {"uuids": ["a", "b"], "call_uuid": "C"})
    assert bridge == ChannelBridge("a", "b", call_id="C")
    assert parse_v3("user_blf", {"uid": "201", "status": "ringing"}) == Blf("201", "ringing")
    reg = parse_v3("user_registration", {"uid": 201, "state": "register", "ip": "1.2.3.4", "port": "5060",
                                         "date": 1700000000, "user_agent": "Yealink"})  # fmt: skip
    assert reg == Registration("201", "register", agent="Yealink", ip="1.2.3.4", port=5060)
    end = parse_v3("call_end", {"uuid": "C", "caller_number": "79161234567", "destination_number": "201",
                                "start_stamp": 1700000000, "end_stamp": "1700000030", "duration": 30,
                                "user_talk_time": 0, "type": "inbound", "hangup_cause": "NO_ANSWER",
                                "gateway_id": "7"})  # fmt: skip
    assert isinstance(end, CallEnd) and end.missed and end.answered is False
    assert (end.call_id, end.destination, end.gateway) == ("C", "201", "7")
    assert (end.start_stamp, end.end_stamp) == (1700000000000, 1700000030000)
    assert not CallEnd("C", type="inbound").missed and CallEnd("C").answered is None


def test_unknown_gateway_and_malformed() -> None:
    assert parse_v3("channel_park", {"uuid": "a"}) == RawEvent("channel_park")
    assert is_gateway_event("gateway_status") and not is_gateway_event("user_blf")
    for name, data in [("channel_bridge", {"uuids": ["a"]}), ("call_end", {"type": "inbound"}),
                       ("channel_create", ["a"]), ("user_blf", {"status": "x"})]:
        with pytest.raises(MalformedEvent):
            parse_v3(name, data)
