"""EventPipeline end to end on MemoryStore and SqliteStore: wire events in, outbox entries out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.alerts.pipeline import EventPipeline
from bot.alerts.router import AlertRouter
from bot.domain import CallCard, ChatRef, MissedCall, RegistrationChange, SipUser
from bot.errors import StorageError
from bot.events import Blf, PbxEvent, Registration
from bot.ports import Store
from bot.tracking.calls import CallTracker
from bot.tracking.presence import Presence
from bot.tracking.registrations import RegistrationTracker
from storage.memory import MemoryStore
from storage.sqlite import SqliteStore
from tests.alerts.test_alerts import ALL, G1, G2, add_chat, office
from tests.tracking.test_calls import (
    CALLER,
    TRUNK,
    Clock,
    a_leg,
    answer,
    b_leg,
    bridge,
    destroy,
    missed_group_call,
)

WATCH = ChatRef("telegram", "-777")


class Wakes:
    """Records on_alert calls."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def make(store: Store, clock: Clock, wakes: Wakes | None = None, ttl_s: float = 3600) -> EventPipeline:
    regs = RegistrationTracker(clock=clock, flap_window_s=0)
    return EventPipeline(
        store,
        tracker=CallTracker(clock=clock, ttl_s=ttl_s),
        registrations=regs,
        presence=Presence(regs),
        router=AlertRouter(store, cache_ttl_s=0),
        clock=clock,
        on_alert=wakes,
    )


async def run(pipe: EventPipeline, clock: Clock, events: list[PbxEvent]) -> None:
    for ev in events:
        await pipe.handle(ev)
        clock.advance(0.2)


async def outbox(store: Store, *chats: ChatRef) -> dict[ChatRef, list[Any]]:
    return {c: [e.alert for e in await store.pending_for_chat(c)] for c in chats}


async def test_ring_group_missed_call_is_one_alert_per_chat() -> None:
    store, clock, wakes = MemoryStore(), Clock(), Wakes()
    await office(store)
    await store.bind(G2, "202")
    pipe = make(store, clock, wakes)
    await run(pipe, clock, missed_group_call(clock, exts=("201", "202", "203")))
    assert await store.load_calls() != []  # tracked while ringing
    await run(pipe, clock, [destroy("A1-B201", "NO_ANSWER"), destroy("A1", "ORIGINATOR_CANCEL", "inbound")])
    await run(pipe, clock, [destroy("A1-B202", "ORIGINATOR_CANCEL"), destroy("A1-B203", "ORIGINATOR_CANCEL")])
    got = await outbox(store, G1, G2, ALL)
    for chat in (G1, G2, ALL):
        [alert] = got[chat]
        assert isinstance(alert, MissedCall) and alert.call_id == "A1"
    assert wakes.count == 1 and await store.load_calls() == []


@pytest.mark.parametrize(
    "events",
    [
        pytest.param(
            [
                answer("A1-B202"),
                bridge("A1", "A1-B202"),
                destroy("A1-B201", "LOSE_RACE"),
                destroy("A1-B202", "NORMAL_CLEARING"),
                destroy("A1", "NORMAL_CLEARING", "inbound"),
            ],
            id="answered-by-one-leg",
        ),
        pytest.param(
            [
                answer("A1-B201"),
                destroy("A1-B202", "LOSE_RACE"),
                destroy("A1", "NORMAL_CLEARING", "inbound"),
                destroy("A1-B201", "NORMAL_CLEARING"),
            ],
            id="answered-without-bridge",
        ),
    ],
)
async def test_answered_calls_alert_nobody(events: list[PbxEvent]) -> None:
    store, clock, wakes = MemoryStore(), Clock(), Wakes()
    await office(store)
    pipe = make(store, clock, wakes)
    await run(pipe, clock, [*missed_group_call(clock), *events])
    assert await store.due(clock() + 10) == [] and wakes.count == 0


async def test_outgoing_internal_and_make_call_alert_nobody_by_default() -> None:
    store, clock = MemoryStore(), Clock()
    await office(store)
    pipe = make(store, clock)
    await run(
        pipe,
        clock,
        [
            a_leg("O1", caller="201", dest=CALLER, gate="", clock=clock),
            b_leg("O1b", CALLER, caller=TRUNK, clock=clock),
            destroy("O1b", "NO_ANSWER"),
            destroy("O1", "NORMAL_CLEARING", "inbound"),
            b_leg("U", "201", caller=CALLER, gate="", clock=clock),
            destroy("U", "NO_ANSWER"),
            a_leg("I1", caller="202", dest="201", gate="", clock=clock),
            b_leg("I1b", "201", caller="202", gate="", clock=clock),
            destroy("I1b", "NO_ANSWER"),
            destroy("I1", "ORIGINATOR_CANCEL", "inbound"),
        ],
    )
    assert await store.due(clock() + 10) == []


async def test_ivr_answered_call_then_missed_alerts() -> None:
    store, clock = MemoryStore(), Clock()
    await office(store)
    pipe = make(store, clock)
    await run(
        pipe,
        clock,
        [
            a_leg("A1", clock=clock),
            answer("A1"),
            b_leg("B1", "201", clock=clock),
            destroy("B1", "NO_ANSWER"),
            destroy("A1", "NORMAL_CLEARING", "inbound"),
        ],
    )
    assert [type(a) for a in (await outbox(store, G1))[G1]] == [MissedCall]


async def open_sqlite(path: Path) -> SqliteStore:
    return await SqliteStore.open(str(path))


async def test_restart_between_create_and_destroy_keeps_exactly_one_alert(tmp_path: Path) -> None:
    clock, db = Clock(), tmp_path / "bot.sqlite3"
    store = await open_sqlite(db)
    await office(store)
    first = make(store, clock)
    await run(first, clock, [*missed_group_call(clock), *missed_group_call(clock, a="A2")])
    await run(first, clock, [answer("A2-B201")])  # A2 is answered before the restart
    await store.close()

    store = await open_sqlite(db)
    second = make(store, clock)
    await second.restore()
    assert {c.call_id for c in second._tracker.active_calls()} == {"A1", "A2"}
    await run(
        second,
        clock,
        [
            destroy("A1-B201", "NO_ANSWER"),
            destroy("A1-B202", "NO_ANSWER"),
            destroy("A1", "ORIGINATOR_CANCEL", "inbound"),
            destroy("A2-B202", "LOSE_RACE"),
            destroy("A2-B201", "NORMAL_CLEARING"),
            destroy("A2", "NORMAL_CLEARING", "inbound"),
            destroy("A1", "ORIGINATOR_CANCEL", "inbound"),
        ],
    )
    alerts = (await outbox(store, G1))[G1]
    assert [(type(a), a.call_id) for a in alerts] == [(MissedCall, "A1")]
    assert await store.load_calls() == []
    await store.close()


async def test_orphans_are_evicted_on_tick_and_forgotten_by_the_store() -> None:
    store, clock = MemoryStore(), Clock()
    pipe = make(store, clock, ttl_s=60)
    await run(pipe, clock, [b_leg("ORPHAN", "201", caller=CALLER, gate="", clock=clock)])
    assert len(await store.load_calls()) == 1
    clock.advance(61)
    await pipe.tick()
    assert await store.load_calls() == [] and pipe._tracker.active_calls() == []


async def test_cards_follow_the_call_phases() -> None:
    store, clock = MemoryStore(), Clock()
    await add_chat(store, WATCH, "202", alert_calls=True, alert_missed=False)
    pipe = make(store, clock)
    await run(pipe, clock, [*missed_group_call(clock), answer("A1-B202")])
    [entry] = await store.pending_for_chat(WATCH)
    assert isinstance(entry.alert, CallCard) and entry.alert.phase == "answered"
    await run(pipe, clock, [destroy("A1-B201", "LOSE_RACE"), destroy("A1", "NORMAL_CLEARING", "inbound")])
    [entry] = await store.pending_for_chat(WATCH)
    assert isinstance(entry.alert, CallCard) and entry.alert.phase == "ended" and entry.version == 3


async def test_registrations_presence_and_seeding() -> None:
    store, clock, wakes = MemoryStore(), Clock(), Wakes()
    await office(store)
    pipe = make(store, clock, wakes)
    await pipe.seed_users([SipUser(uid="201", name="Anna", agent="Yealink", ip="1.2.3.4")])
    await run(
        pipe, clock, [Registration(uid="201", state="register", agent="Yealink", ip="1.2.3.4", expires=60)]
    )
    assert await store.due(clock()) == []  # seeded: a refresh, no alert
    await run(pipe, clock, [Blf(uid="201", status="unregistered")])
    await run(
        pipe, clock, [Registration(uid="201", state="register", agent="Yealink", ip="1.2.3.5", expires=60)]
    )
    clock.advance(95)
    await pipe.tick()
    changes = (await outbox(store, G1))[G1]
    assert [(type(c), c.online) for c in changes] == [
        (RegistrationChange, False),
        (RegistrationChange, True),
        (RegistrationChange, False),
    ]
    assert wakes.count == 3
    state = pipe._presence.extension_states()["201"]
    assert state.name == "Anna" and state.blf == "unregistered" and not state.online


class BrokenStore(MemoryStore):
    """A store whose writes fail, to show a failing store does not break the event loop."""

    async def save_call(self, call_id: str, snapshot: dict[str, Any], updated_at: float) -> None:
        raise StorageError("disk is full")


async def test_store_failures_and_odd_events_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    pipe = make(BrokenStore(), clock)
    await run(pipe, clock, [a_leg("A1", clock=clock)])
    assert "disk is full" in caplog.text
    await pipe.handle(Blf(uid="", status="ringing"))
    await pipe.restore()
