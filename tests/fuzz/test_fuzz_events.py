"""Fuzz: random frames through the codec and random event payloads through parse_event and the
real EventPipeline raise nothing but the project's own errors, and a normal call still alerts.

EventPipeline.handle never raises (a safety net for a long-running bot), so "nothing broke" is
read from its log: every "dropped" ERROR must name a BotError subclass; a built-in exception
named there is a tracker bug that the safety net hid.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.pbx.parse import parse_event
from adapters.pbx.v2 import socketio09 as sio
from bot.alerts.pipeline import EventPipeline
from bot.alerts.router import AlertRouter
from bot.domain import ChatRef, ChatSettings
from bot.errors import BotError
from bot.events import PbxEvent
from bot.tracking.calls import CallTracker
from bot.tracking.presence import Presence
from bot.tracking.registrations import RegistrationTracker
from storage.memory import MemoryStore
from tests.faults.harness import call_events
from tests.fuzz.strategies import events, json_values, typed_events

CHAT = ChatRef("telegram", "-1")
_DROPPED = re.compile(r"^dropped (\w+) event: (\w+): ")


def _bot_error_names() -> set[str]:
    names, todo = set(), [BotError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def assert_only_bot_errors(caplog: pytest.LogCaptureFixture) -> None:
    """Fail on any pipeline ERROR that is not a drop for one of the project's own errors."""
    allowed = _bot_error_names()
    for record in caplog.records:
        if record.name != "bot.alerts.pipeline" or record.levelno < logging.ERROR:
            continue
        message = record.getMessage()
        match = _DROPPED.match(message)
        assert match, f"unexpected pipeline error: {message[:300]}"
        assert match.group(2) in allowed, f"a built-in exception slipped through: {message[:300]}"
    caplog.clear()


@pytest.fixture
def pipeline_errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.ERROR, logger="bot.alerts.pipeline")
    return caplog


class World:
    """One event loop, store and pipeline shared by every example (state piles up like in life)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.store = MemoryStore()
        self.now = 1_780_000_000.0
        regs = RegistrationTracker(clock=self.clock, flap_window_s=0)
        self.pipe = EventPipeline(self.store, tracker=CallTracker(clock=self.clock, ttl_s=60),
                                  registrations=regs, presence=Presence(regs),
                                  router=AlertRouter(self.store, cache_ttl_s=0), clock=self.clock)
        self.run(self.store.ensure_chat(CHAT, title="", language="en", timezone="UTC"))
        self.run(self.store.bind(CHAT, "201"))

    def clock(self) -> float:
        return self.now

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def feed(self, name: str, payload: Any) -> None:
        try:
            event = parse_event(name, payload)
        except BotError:
            return
        self.handle(event)

    def handle(self, event: PbxEvent) -> None:
        self.run(self.pipe.handle(event))  # documented: never raises
        self.now += 0.5


WORLD = World()


_FIXTURE_OK = [HealthCheck.function_scoped_fixture]  # caplog is cleared after every example


@settings(max_examples=400, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(st.one_of(
    st.builds(lambda n, a: f"5:::{json.dumps({'name': n, 'args': [a]})}", st.text(max_size=20), json_values),
    st.builds(lambda n, a: f"5::/x:{json.dumps({'name': n, 'args': a})}", st.text(max_size=5), json_values),
    st.builds(lambda p, a: p + json.dumps(a), st.sampled_from(["6:::", "6:::1+", "4:::", "5:1+::", "0::"]),
              json_values),
))
def test_frames_only_protocol_errors(pipeline_errors: pytest.LogCaptureFixture, frame: str) -> None:
    try:
        packet = sio.decode(frame, max_size=4096)
    except BotError:
        return
    if packet.type == sio.EVENT and packet.name:
        WORLD.feed(packet.name, packet.args[0] if packet.args else None)
    assert_only_bot_errors(pipeline_errors)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, *_FIXTURE_OK])
@given(st.lists(events, min_size=1, max_size=8))
def test_event_payloads_never_break_the_pipeline(
    pipeline_errors: pytest.LogCaptureFixture, batch: list[tuple[str, Any]]
) -> None:
    for name, payload in batch:
        WORLD.feed(name, payload)
    assert_only_bot_errors(pipeline_errors)


WATCHER = World()  # a second world whose chat wants every kind of alert, for the typed events
WATCHER.run(WATCHER.store.update_chat(ChatSettings(CHAT, language="en", timezone="UTC", alert_calls=True,
                                                   alert_all_missed=True, alert_internal=True)))
for _ext in ("", "202", "79161234567", "a" * 300):
    WATCHER.run(WATCHER.store.bind(CHAT, _ext))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, *_FIXTURE_OK])
@given(st.lists(typed_events, min_size=1, max_size=12), st.sampled_from([0.0, 0.0, 30.0, 10_000.0]))
def test_odd_typed_events_only_drop_with_bot_errors(
    pipeline_errors: pytest.LogCaptureFixture, batch: list[PbxEvent], jump: float
) -> None:
    """Events the parser may legally produce (empty strings, huge or negative stamps, reused
    uuids) go straight into the trackers; the saved snapshots restore into a new tracker; then
    time jumps and a tick evicts/expires them."""
    for event in batch:
        WATCHER.handle(event)
    snapshots = json.loads(json.dumps(WATCHER.run(WATCHER.store.load_calls())))  # as SQLite would
    fresh = CallTracker(clock=WATCHER.clock, ttl_s=60)
    fresh.restore(snapshots)
    assert len(fresh) == len(WATCHER.pipe._tracker)  # every snapshot the tracker wrote reads back
    fresh.active_calls()
    WATCHER.now += jump
    WATCHER.run(WATCHER.pipe.tick())  # tick() re-raises built-ins: a crash here fails the test
    fresh.evict(WATCHER.now)
    assert_only_bot_errors(pipeline_errors)


def test_a_slipped_builtin_is_dropped_loudly_and_fails_the_check(
    pipeline_errors: pytest.LogCaptureFixture,
) -> None:
    """The safety net keeps the loop alive but logs ERROR with a traceback once per exception
    type, and the log check above fails on it (so it is live, not decorative)."""

    class Broken(CallTracker):
        def feed(self, event: PbxEvent) -> Any:
            raise IndexError("boom")

    regs = RegistrationTracker(flap_window_s=0)
    pipe = EventPipeline(MemoryStore(), tracker=Broken(), registrations=regs, presence=Presence(regs),
                         router=AlertRouter(MemoryStore()))
    name, payload = call_events("79161110040", "201", missed=True)[0]
    for _ in range(3):
        asyncio.run(pipe.handle(parse_event(name, payload)))  # must not raise
    records = [r for r in pipeline_errors.records if r.name == "bot.alerts.pipeline"]
    assert [r.getMessage() for r in records] == ["dropped ChannelCreate event: IndexError: boom"] * 3
    assert [r.exc_info is not None for r in records] == [True, False, False]
    with pytest.raises(AssertionError, match="IndexError"):
        assert_only_bot_errors(pipeline_errors)


def test_pipeline_still_alerts_after_the_fuzz() -> None:
    WORLD.now += 10_000  # let fuzzed calls expire
    WORLD.run(WORLD.pipe.tick())
    before = len(WORLD.run(WORLD.store.pending_for_chat(CHAT)))
    for name, payload in call_events("79161110041", "201", missed=True, uid="after-fuzz"):
        WORLD.feed(name, payload)
    pending = WORLD.run(WORLD.store.pending_for_chat(CHAT))
    assert len(pending) == before + 1
    assert pending[-1].alert.caller_number == "79161110041"
