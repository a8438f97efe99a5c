"""A source that names each leg's call (``call_id``, API 3.0 ``call_uuid``) groups legs by that
alone; without it the tracker keeps the caller-number rules (API 2.0)."""

from __future__ import annotations

import dataclasses

from adapters.pbx.parse import parse_event
from bot.events import ChannelCreate
from bot.tracking.calls import CallTracker
from tests.tracking.test_calls import CALLER, Clock, a_leg, answer, b_leg, destroy


def with_id(ev: ChannelCreate, call_id: str) -> ChannelCreate:
    return dataclasses.replace(ev, call_id=call_id)


def test_legs_join_their_named_call_whatever_the_caller_number() -> None:
    clock = Clock()
    t = CallTracker(clock=clock)
    t.feed(with_id(a_leg("A1", clock=clock), "CALL-1"))
    # a queue B-leg that shows the trunk number instead of the caller's: same call by identity
    t.feed(with_id(b_leg("B1", "201", caller="74951112233", clock=clock), "CALL-1"))
    [call] = t.active_calls()
    assert call.call_id == "A1" and call.legs == ("A1", "B1") and call.extensions == ("500", "201")
    t.feed(destroy("B1", "NO_ANSWER"))
    [update] = t.feed(destroy("A1", "NORMAL_CLEARING", "inbound"))
    assert update.missed is not None and update.missed.extensions == ("500", "201")


def test_two_calls_from_one_number_stay_apart_by_identity() -> None:
    clock = Clock()
    t = CallTracker(clock=clock)
    t.feed(with_id(a_leg("A1", clock=clock), "CALL-1"))
    t.feed(with_id(a_leg("A2", clock=clock), "CALL-2"))
    # without identities this B-leg would join the newest open call (A2)
    t.feed(with_id(b_leg("B1", "201", clock=clock), "CALL-1"))
    t.feed(answer("B1"))
    by_id = {c.call_id: c for c in t.active_calls()}
    assert by_id["A1"].legs == ("A1", "B1") and by_id["A1"].phase == "answered"
    assert by_id["A2"].legs == ("A2",) and by_id["A2"].phase == "ringing"


def test_without_identity_the_caller_number_rule_still_groups() -> None:
    clock = Clock()
    t = CallTracker(clock=clock)
    t.feed(a_leg("A1", clock=clock))
    t.feed(b_leg("B1", "201", caller=CALLER, clock=clock))
    [call] = t.active_calls()
    assert call.legs == ("A1", "B1")


def test_identity_survives_a_snapshot_round_trip() -> None:
    clock = Clock()
    t = CallTracker(clock=clock)
    t.feed(with_id(a_leg("A1", clock=clock), "CALL-1"))
    restored = CallTracker(clock=clock)
    restored.restore([t.snapshot("A1")])
    restored.feed(with_id(b_leg("B1", "202", caller="000", clock=clock), "CALL-1"))
    [call] = restored.active_calls()
    assert call.legs == ("A1", "B1")


def test_a_finished_identity_is_forgotten() -> None:
    clock = Clock()
    t = CallTracker(clock=clock)
    t.feed(with_id(a_leg("A1", clock=clock), "CALL-1"))
    t.feed(destroy("A1", "NORMAL_CLEARING", "inbound"))
    t.feed(with_id(a_leg("A9", clock=clock), "CALL-1"))  # a reused identity starts a new call
    assert [c.call_id for c in t.active_calls()] == ["A9"]


def test_the_parser_reads_call_uuid_into_call_id() -> None:
    ev = parse_event("channel_create", {"uuid": "L1", "direction": "inbound", "call_uuid": "C1"})
    assert isinstance(ev, ChannelCreate) and ev.call_id == "C1"
    assert parse_event("channel_destroy", {"uuid": "L1"}).call_id == ""  # type: ignore[union-attr]
