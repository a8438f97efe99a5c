"""Fuzz: random frames through the codec and random event payloads through parse_event and the
real EventPipeline raise nothing but the project's own errors, and a normal call still alerts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.pbx import socketio09 as sio
from adapters.pbx.parse import parse_event
from bot.alerts import AlertRouter
from bot.calls import CallTracker
from bot.domain import ChatRef
from bot.errors import BotError
from bot.pipeline import EventPipeline
from bot.presence import Presence
from bot.registrations import RegistrationTracker
from storage.memory import MemoryStore
from tests.faults.harness import call_events
from tests.fuzz.strategies import events, json_values

CHAT = ChatRef("telegram", "-1")


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
        self.run(self.pipe.handle(event))  # documented: never raises
        self.now += 0.5


WORLD = World()


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.builds(lambda n, a: f"5:::{json.dumps({'name': n, 'args': [a]})}", st.text(max_size=20), json_values),
    st.builds(lambda n, a: f"5::/x:{json.dumps({'name': n, 'args': a})}", st.text(max_size=5), json_values),
    st.builds(lambda p, a: p + json.dumps(a), st.sampled_from(["6:::", "6:::1+", "4:::", "5:1+::", "0::"]),
              json_values),
))
def test_frames_only_protocol_errors(frame: str) -> None:
    try:
        packet = sio.decode(frame, max_size=4096)
    except BotError:
        return
    if packet.type == sio.EVENT and packet.name:
        WORLD.feed(packet.name, packet.args[0] if packet.args else None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=8))
def test_event_payloads_never_break_the_pipeline(batch: list[tuple[str, Any]]) -> None:
    for name, payload in batch:
        WORLD.feed(name, payload)


def test_pipeline_still_alerts_after_the_fuzz() -> None:
    WORLD.now += 10_000  # let fuzzed calls expire
    WORLD.run(WORLD.pipe.tick())
    before = len(WORLD.run(WORLD.store.pending_for_chat(CHAT)))
    for name, payload in call_events("79161110041", "201", missed=True, uid="after-fuzz"):
        WORLD.feed(name, payload)
    pending = WORLD.run(WORLD.store.pending_for_chat(CHAT))
    assert len(pending) == before + 1
    assert pending[-1].alert.caller_number == "79161110041"
