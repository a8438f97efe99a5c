"""API 3.0's ``call_end``: the PBX decides answered vs missed; the legs still say who rang and
why; without ``call_end`` (a gap) the legs decide once the wait is over."""

from __future__ import annotations

import pytest

from bot.domain import MissedCall
from bot.events import CallEnd, ChannelAnswer, ChannelBridge, ChannelCreate, ChannelDestroy, PbxEvent
from bot.tracking.calls import CallTracker, CallUpdate

CALLER, TRUNK, CID = "79161234567", "74951112233", "call-1"
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def run(tracker: CallTracker, events: list[PbxEvent]) -> list[CallUpdate]:
    return [u for ev in events for u in tracker.feed(ev)]


def missed_of(updates: list[CallUpdate]) -> list[MissedCall]:
    return [u.missed for u in updates if u.missed is not None]


def legs(*, answered: bool, caller: str = CALLER, gate: str = TRUNK,
         dest: str = TRUNK) -> list[PbxEvent]:
    """A call to 201 and 202 (3.0: every leg names the call); 201 answers when ``answered``."""
    out: list[PbxEvent] = [
        ChannelCreate("A", "inbound", caller_number=caller, destination_number=dest, gate=gate, call_id=CID),
        ChannelCreate("B1", "outbound", caller_number=caller, destination_number="201", call_id=CID),
        ChannelCreate("B2", "outbound", caller_number=caller, destination_number="202", call_id=CID),
    ]
    if answered:
        out += [ChannelAnswer("B1", call_id=CID), ChannelBridge("A", "B1", call_id=CID),
                ChannelDestroy("B2", hangup_cause="LOSE_RACE", call_id=CID)]
    else:
        out += [ChannelDestroy("B1", hangup_cause="NO_ANSWER", call_id=CID),
                ChannelDestroy("B2", hangup_cause="NO_ANSWER", call_id=CID)]
    out.append(ChannelDestroy("A", hangup_cause="NORMAL_CLEARING", call_id=CID))
    return out


def end(talk: int | None, type_: str = "inbound") -> CallEnd:
    return CallEnd(CID, caller_number=CALLER, user_talk_time=talk, type=type_, hangup_cause="NORMAL_CLEARING")


def test_the_verdict_waits_for_call_end_and_legs_say_who_and_why() -> None:
    tracker = CallTracker(clock=Clock(), call_end_wait_s=10.0)
    before = run(tracker, legs(answered=False))
    assert [u for u in before if u.finished] == []  # the root leg ended: waiting for call_end
    after = tracker.feed(end(0))
    assert len(after) == 1 and after[0].finished and after[0].card.missed
    (missed,) = missed_of(after)
    assert missed.extensions == ("201", "202") and missed.hangup_cause == "NO_ANSWER"
    assert missed.pbx_id == CID and len(tracker) == 0


def test_call_end_overrides_the_legs_both_ways() -> None:
    tracker = CallTracker(clock=Clock(), call_end_wait_s=10.0)
    run(tracker, legs(answered=True))  # the legs say answered ...
    assert missed_of(tracker.feed(end(0)))  # ... the PBX says nobody talked: missed
    tracker = CallTracker(clock=Clock(), call_end_wait_s=10.0)
    run(tracker, legs(answered=False))  # the legs say missed ...
    updates = tracker.feed(end(12))  # ... the PBX says someone talked 12 s: answered
    assert updates[0].finished and not missed_of(updates) and not updates[0].card.missed


@pytest.mark.parametrize("type_", ["outbound", "local"])
def test_only_inbound_calls_are_missed_by_the_pbx_rule(type_: str) -> None:
    tracker = CallTracker(clock=Clock(), call_end_wait_s=10.0)
    run(tracker, legs(answered=True))
    assert missed_of(tracker.feed(end(0, type_))) == []


def test_an_internal_unanswered_call_stays_an_internal_miss() -> None:
    tracker = CallTracker(clock=Clock(), call_end_wait_s=10.0)
    run(tracker, legs(answered=False, caller="203", gate="", dest="500"))
    (missed,) = missed_of(tracker.feed(end(0, "local")))
    assert missed.internal


def test_call_end_before_the_root_leg_ends_is_kept_for_it() -> None:
    tracker = CallTracker(clock=Clock(), call_end_wait_s=10.0)
    events = legs(answered=True)
    run(tracker, events[:-1])
    assert tracker.feed(end(0)) == []
    assert missed_of(tracker.feed(events[-1]))


def test_without_call_end_the_legs_decide_after_the_wait() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock, call_end_wait_s=10.0)
    run(tracker, legs(answered=False))
    clock.t += 9.0
    assert tracker.evict(clock.t) == []
    clock.t += 1.5
    (update,) = tracker.evict(clock.t)
    assert update.finished and update.missed is not None and update.missed.pbx_id == CID
    assert tracker.feed(end(30)) == []  # too late: the call was decided, nothing happens twice


def test_no_wait_and_2_0_calls_keep_the_old_rule() -> None:
    tracker = CallTracker(clock=Clock())  # call_end_wait_s = 0: the legs decide at once
    assert missed_of(run(tracker, legs(answered=False)))
    tracker = CallTracker(clock=Clock(), call_end_wait_s=10.0)
    two = [ChannelCreate("A", "inbound", caller_number=CALLER, destination_number="201", gate=TRUNK),
           ChannelCreate("B", "outbound", caller_number=CALLER, destination_number="201"),
           ChannelDestroy("B", hangup_cause="NO_ANSWER"), ChannelDestroy("A")]
    assert missed_of(run(tracker, two))  # no call_id (2.0): nothing waits
    assert tracker.feed(CallEnd("unknown", type="inbound", user_talk_time=0)) == []
