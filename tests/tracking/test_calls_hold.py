"""CallTracker: channel_hold / channel_unhold mark a call "on hold" and never touch answered/missed."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.alerts.render import Renderer
from bot.domain import CallCard, ChatRef, ChatSettings, alert_from_dict, alert_to_dict
from bot.events import ChannelHold, ChannelUnhold, PbxEvent
from bot.tracking.calls import CallTracker
from tests.tracking.test_calls import (
    Clock,
    answer,
    bridge,
    destroy,
    feed_all,
    missed_group_call,
    missed_of,
)


def answered_call(clock: Clock) -> tuple[CallTracker, list[PbxEvent]]:
    tracker = CallTracker(clock=clock)
    events = [*missed_group_call(clock), answer("A1-B201"), answer("A1"), bridge("A1", "A1-B201"),
              destroy("A1-B202", "LOSE_RACE")]
    feed_all(tracker, events, clock)
    return tracker, events


def test_hold_and_unhold_toggle_on_hold_of_an_answered_call() -> None:
    clock = Clock()
    tracker, _ = answered_call(clock)
    [call] = tracker.active_calls()
    assert call.phase == "answered" and not call.on_hold
    [held] = tracker.feed(ChannelHold("A1-B201"))
    assert held.card.on_hold and held.card_changed and held.persist and not held.finished
    [call] = tracker.active_calls()
    assert call.on_hold and call.phase == "answered" and call.answered_by == "201"
    [unheld] = tracker.feed(ChannelUnhold("A1-B201"))
    assert not unheld.card.on_hold and not tracker.active_calls()[0].on_hold
    assert tracker.feed(ChannelUnhold("A1-B201")) == []  # nothing changes twice


def test_call_stays_held_while_any_leg_is_held() -> None:
    clock = Clock()
    tracker, _ = answered_call(clock)
    tracker.feed(ChannelHold("A1"))
    assert tracker.feed(ChannelHold("A1-B201")) == []  # already on hold: no new card
    assert tracker.feed(ChannelUnhold("A1")) == []
    assert tracker.active_calls()[0].on_hold
    [update] = tracker.feed(destroy("A1-B201", "NORMAL_CLEARING"))  # the held leg hangs up
    assert not update.card.on_hold and not tracker.active_calls()[0].on_hold


def test_hold_on_unknown_or_finished_uuid_is_ignored() -> None:
    clock = Clock()
    tracker, _ = answered_call(clock)
    assert tracker.feed(ChannelHold("nobody")) == [] and tracker.feed(ChannelUnhold("nobody")) == []
    assert tracker.feed(ChannelHold("A1-B202")) == []  # that leg already ended
    assert not tracker.active_calls()[0].on_hold


def test_hold_never_changes_the_missed_verdict() -> None:
    clock = Clock()
    tracker = CallTracker(clock=clock)
    ups = feed_all(tracker, [*missed_group_call(clock), ChannelHold("A1"), ChannelHold("A1-B201")], clock)
    [call] = tracker.active_calls()
    assert call.phase == "ringing" and call.on_hold
    ups += feed_all(tracker, [ChannelUnhold("A1"), destroy("A1-B201", "NO_ANSWER"),
                              destroy("A1-B202", "NO_ANSWER"), destroy("A1", "ORIGINATOR_CANCEL", "inbound")])
    [missed] = missed_of(ups)
    assert missed.call_id == "A1" and missed.hangup_cause == "NO_ANSWER"
    assert ups[-1].finished and ups[-1].card.missed and not ups[-1].card.on_hold


def test_answered_held_call_is_not_missed_and_hold_survives_a_snapshot() -> None:
    clock = Clock()
    tracker, _ = answered_call(clock)
    tracker.feed(ChannelHold("A1-B201"))
    snap = json.loads(json.dumps(tracker.snapshot("A1")))
    restored = CallTracker(clock=clock)
    restored.restore([snap])
    assert restored.active_calls()[0].on_hold
    [update] = restored.feed(ChannelUnhold("A1-B201"))
    assert not update.card.on_hold
    ups = feed_all(restored, [ChannelHold("A1"), destroy("A1-B201", "NORMAL_CLEARING"),
                              destroy("A1", "NORMAL_CLEARING", "inbound")])
    assert missed_of(ups) == [] and ups[-1].finished and not ups[-1].card.missed


def test_card_with_hold_round_trips_and_renders() -> None:
    card = CallCard(call_id="A1", phase="answered", direction="in", caller_number="79161234567",
                    caller_name="", callee="500", extensions=("201",), gate="", started_ms=1_700_000_000_000,
                    answered_by="201", on_hold=True)
    assert alert_from_dict(json.loads(json.dumps(alert_to_dict(card)))) == card
    old = {k: v for k, v in alert_to_dict(card).items() if k != "on_hold"}  # stored before the field
    assert alert_from_dict(old) == CallCard(**{**old, "extensions": ("201",)})
    ru = ChatSettings(ChatRef("telegram", "1"), language="ru")
    en = ChatSettings(ChatRef("telegram", "1"), language="en")
    assert "на удержании" in Renderer().render(card, ru).text
    assert "on hold" in Renderer().render(card, en).text
    assert "on hold" not in Renderer().render(replace(card, on_hold=False), en).text
