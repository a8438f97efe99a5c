"""CallTracker: grouping legs into calls and the once-per-call missed verdict (wire-calls.md)."""

from __future__ import annotations

import itertools
import json

from bot.domain import MissedCall
from bot.events import ChannelAnswer, ChannelBridge, ChannelCreate, ChannelDestroy, PbxEvent
from bot.tracking.calls import CallTracker, CallUpdate

D = "pbx.example.ru"
CALLER = "79161234567"
TRUNK = "74951112233"
T0 = 1_700_000_000.0


class Clock:
    """A settable clock in seconds."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def a_leg(
    uuid: str,
    caller: str = CALLER,
    dest: str = "500",
    gate: str = TRUNK,
    clock: Clock | None = None,
    name: str = "Ivan Petrov",
) -> ChannelCreate:
    endpoint = caller if gate else f"{caller}@{D}"
    stamp = int(clock() * 1000) if clock else None
    return ChannelCreate(
        uuid=uuid,
        direction="inbound",
        created_stamp=stamp,
        state="CS_INIT",
        endpoint=endpoint,
        domain=D,
        caller_number=caller,
        caller_name=name,
        destination_number=dest,
        destination_host=D,
        gate=gate,
    )


def b_leg(
    uuid: str, ext: str, caller: str = CALLER, gate: str = TRUNK, clock: Clock | None = None
) -> ChannelCreate:
    endpoint = f"{ext}@{D}" if len(ext) <= 5 else ext
    stamp = int(clock() * 1000) if clock else None
    return ChannelCreate(
        uuid=uuid,
        direction="outbound",
        created_stamp=stamp,
        state="CS_INIT",
        endpoint=endpoint,
        domain=D,
        caller_number=caller,
        caller_name="Ivan Petrov",
        destination_number=ext,
        destination_host=D,
        gate=gate,
    )


def destroy(uuid: str, cause: str, direction: str = "outbound") -> ChannelDestroy:
    return ChannelDestroy(uuid=uuid, direction=direction, hangup_cause=cause)


def answer(uuid: str) -> ChannelAnswer:
    return ChannelAnswer(uuid=uuid)


def bridge(a: str, b: str) -> ChannelBridge:
    return ChannelBridge(aleg_uuid=a, bleg_uuid=b, direction="inbound")


def missed_group_call(clock: Clock, a: str = "A1", exts: tuple[str, ...] = ("201", "202")) -> list[PbxEvent]:
    """Inbound call to group 500 ringing ``exts``; nobody answers; B-legs end before the A-leg."""
    events: list[PbxEvent] = [a_leg(a, clock=clock)]
    events += [b_leg(f"{a}-B{ext}", ext, clock=clock) for ext in exts]
    return events


def feed_all(
    tracker: CallTracker, events: list[PbxEvent], clock: Clock | None = None, step: float = 0.1
) -> list[CallUpdate]:
    out: list[CallUpdate] = []
    for ev in events:
        out += tracker.feed(ev)
        if clock is not None:
            clock.advance(step)
    return out


def missed_of(updates: list[CallUpdate]) -> list[MissedCall]:
    return [u.missed for u in updates if u.missed is not None]


def test_two_leg_missed_call_is_one_missed_with_ring_time_and_telling_cause() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    ups = feed_all(tracker, missed_group_call(clock), clock)
    clock.advance(20)
    ups += feed_all(
        tracker,
        [
            destroy("A1-B201", "NO_ANSWER"),
            destroy("A1-B202", "NO_ANSWER"),
            destroy("A1", "ORIGINATOR_CANCEL", "inbound"),
        ],
    )
    [missed] = missed_of(ups)
    assert missed.call_id == "A1" and missed.caller_number == CALLER and missed.caller_name == "Ivan Petrov"
    assert missed.extensions == ("500", "201", "202")
    assert missed.gate == TRUNK and missed.destination == "500" and not missed.internal
    assert missed.ended_ms - missed.started_ms == 20_300
    assert missed.hangup_cause == "NO_ANSWER"
    assert ups[-1].finished and ups[-1].card.phase == "ended" and ups[-1].card.missed
    assert len(tracker) == 0 and tracker.active_calls() == []


def test_ring_group_answered_by_one_leg_is_not_missed() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    ups = feed_all(
        tracker,
        [
            *missed_group_call(clock, exts=("201", "202", "203")),
            answer("A1-B202"),
            answer("A1"),
            bridge("A1", "A1-B202"),
            destroy("A1-B201", "LOSE_RACE"),
            destroy("A1-B203", "LOSE_RACE"),
        ],
        clock,
    )
    [active] = tracker.active_calls()
    assert active.phase == "answered" and active.answered_by == "202" and active.legs == ("A1", "A1-B202")
    ups += feed_all(
        tracker, [destroy("A1-B202", "NORMAL_CLEARING"), destroy("A1", "NORMAL_CLEARING", "inbound")]
    )
    assert missed_of(ups) == []
    phases = [u.card.phase for u in ups if u.card_changed]
    assert phases[0] == "ringing" and "answered" in phases and phases[-1] == "ended"
    assert ups[-1].card.answered_by == "202" and not ups[-1].card.missed


def test_ivr_answering_the_a_leg_does_not_make_it_answered() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    ups = feed_all(
        tracker,
        [
            a_leg("A1", clock=clock),
            answer("A1"),
            b_leg("B1", "201", clock=clock),
            destroy("B1", "NO_ANSWER"),
            destroy("A1", "NORMAL_CLEARING", "inbound"),
        ],
        clock,
    )
    [missed] = missed_of(ups)
    assert missed.extensions == ("500", "201") and missed.hangup_cause == "NO_ANSWER"


def test_internal_call_missed_is_flagged_internal() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    ups = feed_all(
        tracker,
        [
            a_leg("A1", caller="201", dest="202", gate="", name="Anna", clock=clock),
            b_leg("B1", "202", caller="201", gate="", clock=clock),
            destroy("B1", "NO_ANSWER"),
            destroy("A1", "ORIGINATOR_CANCEL", "inbound"),
        ],
        clock,
    )
    [missed] = missed_of(ups)
    assert missed.internal and missed.extensions == ("202",) and missed.caller_number == "201"
    assert ups[0].card.direction == "internal" and ups[0].card.extensions == ("201", "202")


def test_outgoing_call_is_never_missed() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    ups = feed_all(
        tracker,
        [
            a_leg("A1", caller="201", dest=CALLER, gate="", clock=clock),
            b_leg("B1", CALLER, caller=TRUNK, clock=clock),
            destroy("B1", "NO_ANSWER"),
            destroy("A1", "NORMAL_CLEARING", "inbound"),
        ],
        clock,
    )
    assert missed_of(ups) == []
    assert ups[0].card.direction == "out" and ups[0].card.extensions == ("201",)


def test_make_call_rings_extension_then_bridges_second_leg_and_is_never_missed() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    ups = feed_all(
        tracker,
        [
            b_leg("U", "201", caller=CALLER, gate="", clock=clock),
            answer("U"),
            b_leg("V", CALLER, caller="201", clock=clock),
            bridge("U", "V"),
        ],
        clock,
    )
    [active] = tracker.active_calls()
    assert active.call_id == "U" and active.legs == ("U", "V") and active.direction == "out"
    assert active.caller_number == "201" and active.callee == CALLER and active.phase == "answered"
    ups += feed_all(tracker, [destroy("U", "NORMAL_CLEARING"), destroy("V", "NORMAL_CLEARING")])
    assert missed_of(ups) == [] and len(tracker) == 0
    # a standalone make_call that 201 never picks up is not a missed call either
    ups = feed_all(
        tracker, [b_leg("U2", "201", caller=CALLER, gate="", clock=clock), destroy("U2", "NO_ANSWER")]
    )
    assert missed_of(ups) == [] and ups[-1].finished


def test_b_leg_destroys_after_the_a_leg_create_nothing() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    ups = feed_all(tracker, [*missed_group_call(clock), destroy("A1", "ORIGINATOR_CANCEL", "inbound")], clock)
    late = feed_all(
        tracker,
        [
            destroy("A1-B201", "ORIGINATOR_CANCEL"),
            destroy("A1-B202", "ORIGINATOR_CANCEL"),
            answer("A1-B201"),
            destroy("A1", "ORIGINATOR_CANCEL", "inbound"),
        ],
    )
    assert len(missed_of(ups)) == 1 and late == [] and len(tracker) == 0


def test_b_leg_joins_the_newest_recent_unanswered_a_leg_of_the_same_caller() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    feed_all(tracker, [a_leg("OLD", clock=clock)])
    clock.advance(60)
    feed_all(
        tracker,
        [
            a_leg("NEW", clock=clock),
            b_leg("B1", "201", clock=clock),
            b_leg("X1", "203", caller="74990000000", clock=clock),
        ],
    )
    by_id = {c.call_id: c for c in tracker.active_calls()}
    assert by_id["NEW"].legs == ("NEW", "B1") and by_id["OLD"].legs == ("OLD",)
    assert by_id["X1"].direction == "out"  # no A-leg of that caller: a call of its own
    clock.advance(121)  # a long wait keeps the call open (issue #10 item 2): the window only breaks ties
    feed_all(tracker, [b_leg("B2", "202", clock=clock)])
    assert "B2" in tracker.snapshot("NEW")["legs"] and "B2" not in tracker.snapshot("OLD")["legs"]


def test_orphan_legs_are_evicted_by_ttl_and_memory_is_bounded() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock, ttl_s=60, max_legs=50, finished_memory=10)
    feed_all(tracker, [b_leg("ORPHAN", "201", caller=CALLER, gate="", clock=clock)])
    clock.advance(30)
    feed_all(tracker, [a_leg("A1", caller="74990000001", clock=clock)])
    assert tracker.evict(clock()) == []
    clock.advance(31)
    [gone] = tracker.evict(clock())
    assert gone.finished and gone.card.call_id == "ORPHAN" and gone.missed is None
    assert [c.call_id for c in tracker.active_calls()] == ["A1"]
    for i in range(200):
        tracker.feed(a_leg(f"L{i}", caller=f"7499{i:07d}"))
    assert len(tracker.active_calls()) <= 50
    for i in range(100):
        feed_all(tracker, [a_leg(f"F{i}", caller="74991111111"), destroy(f"F{i}", "NO_ANSWER", "inbound")])
    assert len(tracker._finished) <= 10


def test_snapshot_restores_into_a_new_tracker() -> None:
    clock = Clock()
    first = CallTracker(clock=clock)
    feed_all(first, missed_group_call(clock), clock)
    snap = json.loads(json.dumps(first.snapshot("A1")))
    second = CallTracker(clock=clock)
    second.restore([snap, {"garbage": 1}])
    ups = feed_all(
        second, [answer("A1"), destroy("A1-B201", "NO_ANSWER"), destroy("A1", "ORIGINATOR_CANCEL")]
    )
    [missed] = missed_of(ups)
    assert missed.extensions == ("500", "201", "202")
    third = CallTracker(clock=clock)
    third.restore([snap])
    ups = feed_all(
        third, [answer("A1-B202"), destroy("A1-B202", "NORMAL_CLEARING"), destroy("A1", "NORMAL_CLEARING")]
    )
    assert missed_of(ups) == []
    assert first.snapshot("nope") == {}


def test_duplicate_and_unknown_events_are_ignored() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    assert tracker.feed(destroy("nobody", "NO_ANSWER")) == []
    assert tracker.feed(answer("nobody")) == [] and tracker.feed(bridge("x", "y")) == []
    assert len(tracker.feed(a_leg("A1"))) == 1 and tracker.feed(a_leg("A1")) == []


def test_missed_is_decided_once_whatever_the_destroy_order() -> None:
    ends = [
        destroy("A1-B201", "NO_ANSWER"),
        destroy("A1-B202", "USER_BUSY"),
        destroy("A1", "ORIGINATOR_CANCEL"),
    ]
    for order in itertools.permutations(ends):
        for dup in (False, True):
            clock = Clock()
            tracker = CallTracker(clock=clock)
            tail = [*order, *order] if dup else list(order)
            ups = feed_all(tracker, [*missed_group_call(clock), *tail], clock)
            assert len(missed_of(ups)) == 1 and len(tracker) == 0
            assert sum(u.finished for u in ups) == 1


def test_click_to_call_is_answered_when_the_far_end_answers_not_the_agents_phone() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    feed_all(tracker, [b_leg("U", "201", caller=CALLER, gate="", clock=clock), answer("U")], clock)
    [agent_up] = tracker.active_calls()
    assert agent_up.phase == "ringing"  # only 201's own phone picked up: the far end still rings
    ups = feed_all(tracker, [b_leg("V", "8" + CALLER[1:], caller="201", clock=clock)], clock)
    assert [u.card.call_id for u in ups] == ["U"]  # the far leg joins the same card
    feed_all(tracker, [answer("V")], clock)
    [talking] = tracker.active_calls()
    assert talking.phase == "answered" and talking.legs == ("U", "V")
