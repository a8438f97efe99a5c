"""Pure parts of the PBX link: heartbeat monitor, tolerant parsing, command validation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from adapters.pbx.parse import parse_event, parse_trunk_list, parse_user_list
from adapters.pbx.v2 import commands as cmd
from adapters.pbx.v2.heartbeat import HeartbeatMonitor
from bot import i18n
from bot.domain import SipUser, Trunk
from bot.errors import InvalidArgument, MalformedEvent, PbxCommandError
from bot.events import ChannelAnswer, ChannelBridge, ChannelDestroy, RawEvent, Registration


def test_heartbeat_monitor() -> None:
    m = HeartbeatMonitor(3.0, now=100.0)
    assert not m.is_dead(102.9) and m.remaining(102.0) == pytest.approx(1.0)
    m.received(102.0)
    assert not m.is_dead(104.9) and m.is_dead(105.0) and m.remaining(106.0) == 0.0
    off = HeartbeatMonitor(None, now=0.0)
    assert not off.is_dead(1e9) and off.remaining(5.0) is None


def test_parse_tolerant_types() -> None:
    assert parse_event(
        "channel_answer",
        {"uuid": 7, "answered_stamp": "1.0e3", "read_rate": 8000.0, "write_bitrate": "", "read_codec": None},
    ) == ChannelAnswer(uuid="7", answered_stamp=1000, read_rate=8000)
    assert parse_event(
        "registration", {"uid": "201", "state": "register", "port": "5060", "expires": 3600}
    ) == (Registration(uid="201", state="register", port=5060, expires=3600))
    assert parse_event("channel_bridge", {"aleg_uuid": "a", "bleg_uuid": "b"}) == ChannelBridge("a", "b")
    assert parse_event("channel_destroy", {"uuid": "u", "hangup_cause": "SRTP_READ_ERROR"}) == ChannelDestroy(
        uuid="u", hangup_cause="SRTP_READ_ERROR"
    )
    assert parse_event("fax", {"x": 1}) == RawEvent("fax")


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("channel_create", {"direction": "in"}),
        ("channel_create", {"uuid": {"a": 1}, "direction": "in"}),
        ("blf", ["x"]),
        ("blf", None),
        ("blf", {"uid": "1", "status": True}),
        ("registration", {"uid": "", "state": "x"}),
        ("channel_answer", {"uuid": "u", "answered_stamp": "soon"}),
        ("channel_answer", {"uuid": "u", "read_rate": "nan"}),
    ],
)
def test_parse_malformed(name: str, payload: object) -> None:
    with pytest.raises(MalformedEvent) as err:
        parse_event(name, payload)
    assert err.value.event == name


def test_parse_listings() -> None:
    assert parse_user_list([{"uid": 201, "exp": "1700000000000", "port": "5060", "name": "A"}]) == [
        SipUser(uid="201", name="A", port=5060, exp_ms=1700000000000)
    ]
    assert parse_trunk_list({"0": {"extension": 1, "status": "REGED"}}) == [
        Trunk(extension="1", status="REGED")
    ]
    assert parse_user_list(None) == []
    with pytest.raises(MalformedEvent):
        parse_trunk_list("nope")


def test_command_validation_and_i18n() -> None:
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: cmd.make_call("", "1"), "pbx.invalid.empty"),
        (lambda: cmd.transfer("u", "  "), "pbx.invalid.empty"),
        (lambda: cmd.sip_message("201", "x" * 201), "pbx.invalid.text_too_long"),
        (lambda: cmd.sip_message("201", ""), "pbx.invalid.empty"),
        (lambda: cmd.reboot_phone("201", "polycom"), "pbx.invalid.model"),
        (lambda: cmd.message("hi", "everyone"), "pbx.invalid.target"),
    ]
    for build, key in cases:
        with pytest.raises(InvalidArgument) as err:
            build()
        assert err.value.key == key and i18n.has(key)
        assert "{" not in i18n.t("en", key, **err.value.params) and "{" not in i18n.t(
            "ru", key, **err.value.params
        )
    assert cmd.sip_message("201", "x" * 200)["text"] == "x" * 200
    assert cmd.make_call("201", "2", gate_to=None, from_name="Bot") == {
        "from": "201",
        "to": "2",
        "from_name": "Bot",
    }
    assert cmd.reboot_phone("201", "Yealink") == {"num": "201", "model": "yealink"}


def test_hashes_and_replies() -> None:
    taken = {cmd.new_hash() for _ in range(200)}
    assert len(taken) == 200 and all(len(h) == 16 and h.isalnum() and h.isascii() for h in taken)
    assert cmd.new_hash(taken) not in taken
    assert cmd.check_reply("x", {"status": True, "data": [1]}) == [1]
    with pytest.raises(PbxCommandError) as err:
        cmd.check_reply("make_call", {"status": False, "text": "CALL_REJECTED"})
    assert err.value.code == "CALL_REJECTED"
