"""Group commit (#14): a batch of PBX events becomes ONE ``Store.apply`` transaction, committed
before the delivery worker is woken; snapshots are coalesced per call; a refused commit is retried
with the very same writes; outside a batch a write goes straight through."""

from __future__ import annotations

from collections.abc import Sequence

from bot.alerts import AlertRouter, EventPipeline, WriteBatch
from bot.domain import ChatRef, MissedCall, OutboxEntry
from bot.errors import StorageError
from bot.events import PbxEvent
from bot.tracking import CallTracker, Presence, RegistrationTracker
from bot.writes import DeleteCall, Enqueue, SaveCall, Write
from storage.memory import MemoryStore
from tests.alerts.test_alerts import ALL, G1, office
from tests.tracking.test_calls import Clock, destroy, missed_group_call


class JournalStore(MemoryStore):
    """A MemoryStore that journals each apply() (and each wake, via ``wake``) in one list, and can
    refuse the next ``refuse`` applies like a locked database."""

    def __init__(self) -> None:
        super().__init__()
        self.journal: list[tuple[str, list[Write]]] = []
        self.refuse = 0

    async def apply(self, writes: Sequence[Write]) -> list[OutboxEntry | None]:
        if self.refuse:
            self.refuse -= 1
            raise StorageError("database is locked")
        self.journal.append(("apply", list(writes)))
        return await super().apply(writes)

    def wake(self) -> None:
        self.journal.append(("wake", []))


def pipeline(store: JournalStore, clock: Clock) -> EventPipeline:
    batch = WriteBatch(store)
    regs = RegistrationTracker(clock=clock, flap_window_s=0)
    return EventPipeline(
        store, tracker=CallTracker(clock=clock, ttl_s=3600), registrations=regs,
        presence=Presence(regs), router=AlertRouter(batch.store, cache_ttl_s=0), clock=clock,
        on_alert=store.wake, batch=batch,
    )  # fmt: skip


def two_missed_calls(clock: Clock) -> list[PbxEvent]:
    events: list[PbxEvent] = []
    for a in ("A1", "A2"):
        events += missed_group_call(clock, a=a, exts=("201",))
        events += [destroy(f"{a}-B201", "NO_ANSWER"), destroy(a, "ORIGINATOR_CANCEL", "inbound")]
    return events


async def test_a_batch_of_events_is_one_transaction_committed_before_the_wake() -> None:
    store, clock = JournalStore(), Clock()
    await office(store)
    await pipeline(store, clock).handle_many(two_missed_calls(clock))
    assert [kind for kind, _ in store.journal] == ["apply", "wake"]
    writes = store.journal[0][1]
    keys = sorted(op.dedup_key for op in writes if isinstance(op, Enqueue))
    assert keys == [f"missed:{a}:{c}" for a in ("A1", "A2") for c in (ALL, G1)]
    # four snapshots per call were written before; coalesced to the call's final op
    assert sorted(op.call_id for op in writes if isinstance(op, SaveCall | DeleteCall)) == ["A1", "A2"]
    assert not [op for op in writes if isinstance(op, SaveCall)]
    assert {e.dedup_key for e in await store.due(clock() + 1)} == set(keys)


async def test_a_batch_without_alerts_does_not_wake_the_worker() -> None:
    store, clock = JournalStore(), Clock()
    await office(store)
    await pipeline(store, clock).handle_many(missed_group_call(clock, exts=("201",)))
    assert [kind for kind, _ in store.journal] == ["apply"]
    assert [op.call_id for op in store.journal[0][1] if isinstance(op, SaveCall)] == ["A1"]


async def test_a_snapshot_is_taken_once_at_commit_with_the_calls_state_after_the_batch() -> None:
    store, clock = JournalStore(), Clock()
    await office(store)
    taken: list[str] = []
    batch = WriteBatch(store)
    batch.open()
    for n in range(3):
        batch.save_call_at_commit("A1", lambda _, n=n: taken.append(f"t{n}") or {"n": n}, 1.0)  # type: ignore[func-returns-value]
    batch.save_call_at_commit("A2", lambda _: {}, 1.0)  # nothing to store: no op at all
    writes, _ = await batch.commit()
    assert taken == ["t2"] and writes == [SaveCall("A1", {"n": 2}, 1.0)]
    await pipeline(store, clock).handle_many(missed_group_call(clock, a="A3", exts=("201", "202")))
    [saved] = [op for op in store.journal[-1][1] if isinstance(op, SaveCall)]
    assert "A3-B201" in str(saved.snapshot) and "A3-B202" in str(saved.snapshot)  # both legs in


async def test_a_refused_commit_is_retried_with_the_same_writes_and_stored_once() -> None:
    store, clock = JournalStore(), Clock()
    await office(store)
    store.refuse = 2
    await pipeline(store, clock).handle_many(two_missed_calls(clock))
    assert [kind for kind, _ in store.journal] == ["apply", "wake"]
    assert len(await store.pending_for_chat(G1)) == 2


async def test_a_replayed_batch_enqueues_nothing_new() -> None:
    store, clock = JournalStore(), Clock()
    await office(store)
    events = two_missed_calls(clock)
    await pipeline(store, clock).handle_many(events)
    await pipeline(store, clock).handle_many(events)  # a new process sees the same calls again
    assert [kind for kind, _ in store.journal] == ["apply", "wake", "apply"]  # nothing new: no wake
    alerts = [e.alert for e in await store.pending_for_chat(G1)]
    assert [a.call_id for a in alerts if isinstance(a, MissedCall)] == ["A1", "A2"]


async def test_outside_a_batch_writes_go_straight_to_the_store() -> None:
    store = JournalStore()
    await office(store)
    batch = WriteBatch(store)
    chat = ChatRef("telegram", "-100")
    assert not batch.is_open
    alert = MissedCall("X", "+7999", "", ("201",), "201", "", 1, 2, "NO_ANSWER")
    assert await batch.store.enqueue("k", chat, alert, 1.0) is True
    assert await batch.store.enqueue("k", chat, alert, 1.0) is False
    assert [w for _, w in store.journal] == [[Enqueue("k", chat, alert, 1.0)]] * 2
    assert [c.chat for c in await batch.store.list_chats()] == [c.chat for c in await store.list_chats()]


async def test_the_commit_hands_its_new_entries_to_the_worker_instead_of_a_wake() -> None:
    """The short path: what the commit inserted goes to ``on_enqueued`` as entries, equal to what
    the outbox reads back, after the commit; a replay hands over nothing and wakes nobody."""
    store, clock = JournalStore(), Clock()
    await office(store)
    handed: list[OutboxEntry] = []

    def offer(entries: list[OutboxEntry]) -> None:
        store.journal.append(("offer", []))
        handed.extend(entries)

    pipe = pipeline(store, clock)
    pipe._on_enqueued = offer
    events = two_missed_calls(clock)
    await pipe.handle_many(events)
    assert [kind for kind, _ in store.journal] == ["apply", "offer"]
    assert sorted(handed, key=lambda e: e.id) == await store.due(clock() + 1)
    again = pipeline(store, clock)
    again._on_enqueued = offer
    await again.handle_many(events)
    assert [kind for kind, _ in store.journal] == ["apply", "offer", "apply"]


async def test_a_batch_that_edits_a_row_in_place_also_wakes_the_worker() -> None:
    """An upsert (a call card, a resolved alert) changes a row the worker may hold: full pass."""
    store, clock = JournalStore(), Clock()
    await office(store)
    batch = WriteBatch(store)
    regs = RegistrationTracker(clock=clock, flap_window_s=0)
    offered: list[OutboxEntry] = []
    pipe = EventPipeline(
        store, tracker=CallTracker(clock=clock, ttl_s=3600), registrations=regs,
        presence=Presence(regs), router=AlertRouter(batch.store, cache_ttl_s=0), clock=clock,
        on_alert=store.wake, on_enqueued=offered.extend, batch=batch,
    )  # fmt: skip
    chat = await store.get_chat(G1)
    assert chat is not None
    import dataclasses
    await store.update_chat(dataclasses.replace(chat, alert_calls=True))  # call cards: upserts
    await pipe.handle_many(two_missed_calls(clock))
    assert [kind for kind, _ in store.journal] == ["apply", "wake"] and offered
