"""AlertRouter on MemoryStore: who gets missed calls, registration changes and call cards."""

from __future__ import annotations

import dataclasses

from bot.alerts.router import AlertRouter
from bot.domain import CallCard, ChatRef, MissedCall, RegistrationChange
from bot.ports import Store
from bot.tracking.calls import CallUpdate
from storage.memory import MemoryStore
from tests.tracking.test_calls import CALLER, T0, TRUNK

G1 = ChatRef("telegram", "-100")
G2 = ChatRef("telegram", "-200")
ALL = ChatRef("slack", "CALL")
OFF = ChatRef("telegram", "-300")
NOMISS = ChatRef("slack", "CNOMISS")


async def add_chat(store: Store, chat: ChatRef, *exts: str, **flags: bool) -> None:
    settings = await store.ensure_chat(chat, title=str(chat), language="ru", timezone="Europe/Moscow")
    await store.update_chat(dataclasses.replace(settings, **flags))
    for ext in exts:
        await store.bind(chat, ext)


async def office(store: Store) -> None:
    await add_chat(store, G1, "201")
    await add_chat(store, G2, "203")
    await add_chat(store, ALL, alert_all_missed=True, alert_missed=False)
    await add_chat(store, OFF, "201", active=False)
    await add_chat(store, NOMISS, "202", alert_missed=False)


def missed(
    call_id: str = "A1", internal: bool = False, exts: tuple[str, ...] = ("500", "201", "202")
) -> MissedCall:
    return MissedCall(call_id, CALLER, "Ivan", exts, "500", "" if internal else TRUNK,
                      int(T0 * 1000), int(T0 * 1000) + 20_000, "NO_ANSWER", internal=internal)  # fmt: skip


def card(call_id: str = "A1", phase: str = "ringing", exts: tuple[str, ...] = ("201",)) -> CallCard:
    return CallCard(call_id, phase, "in", CALLER, "Ivan", "500", exts, TRUNK, int(T0 * 1000))  # type: ignore[arg-type]


async def pending_chats(store: Store, *chats: ChatRef) -> dict[ChatRef, list[str]]:
    return {c: [e.dedup_key for e in await store.pending_for_chat(c)] for c in chats}


async def test_missed_call_goes_to_bound_and_all_missed_chats_once() -> None:
    store = MemoryStore()
    await office(store)
    router = AlertRouter(store)
    update = CallUpdate(card(phase="ended"), missed=missed(), finished=True, card_changed=False)
    assert await router.on_call_update(update, T0) == 2
    assert await router.on_call_update(update, T0 + 5) == 0  # the same call again: deduplicated
    assert await AlertRouter(store).on_call_update(update, T0) == 0  # a restarted router too
    got = await pending_chats(store, G1, G2, ALL, OFF, NOMISS)
    assert got == {G1: [f"missed:A1:{G1}"], G2: [], ALL: [f"missed:A1:{ALL}"], OFF: [], NOMISS: []}


async def test_internal_missed_calls_only_to_chats_that_enable_them() -> None:
    store = MemoryStore()
    await office(store)
    router = AlertRouter(store, cache_ttl_s=0)
    internal = CallUpdate(card(), missed=missed("I1", internal=True), card_changed=False)
    assert await router.on_call_update(internal, T0) == 0
    await store.update_chat(dataclasses.replace(await store.get_chat(G1), alert_internal=True))  # type: ignore[arg-type]
    internal2 = CallUpdate(card(), missed=missed("I2", internal=True), card_changed=False)
    assert await router.on_call_update(internal2, T0) == 1
    assert [e.dedup_key for e in await store.pending_for_chat(G1)] == [f"missed:I2:{G1}"]


async def test_binding_changes_take_effect_within_a_second() -> None:
    store = MemoryStore()
    await office(store)
    router = AlertRouter(store)
    assert await router.on_call_update(CallUpdate(card(), missed=missed("X1", exts=("204",))), T0) == 1  # ALL
    await store.bind(G2, "204")
    assert await router.on_call_update(CallUpdate(card(), missed=missed("X2", exts=("204",))), T0 + 1.0) == 2
    router.invalidate()


async def test_registration_changes_go_to_bound_chats_with_the_setting() -> None:
    store = MemoryStore()
    await office(store)
    await add_chat(store, ChatRef("slack", "CNOREG"), "201", alert_registration=False)
    router = AlertRouter(store)
    change = RegistrationChange("201", True, int(T0 * 1000), "Yealink", "10.0.0.5")
    assert await router.on_registration_change(change, T0) == 1
    assert await router.on_registration_change(change, T0) == 0
    offline = dataclasses.replace(change, online=False, at_ms=change.at_ms + 1000)
    assert await router.on_registration_change(offline, T0) == 1
    keys = [e.dedup_key for e in await store.pending_for_chat(G1)]
    assert keys == [f"reg:201:1:{change.at_ms}:{G1}", f"reg:201:0:{offline.at_ms}:{G1}"]
    assert await router.on_registration_change(dataclasses.replace(change, ext="999"), T0) == 0


async def test_cards_are_upserted_per_phase_for_chats_watching_calls() -> None:
    store = MemoryStore()
    await office(store)
    watch = ChatRef("telegram", "-999")
    await add_chat(store, watch, "202", alert_calls=True)
    router = AlertRouter(store, cache_ttl_s=0)
    assert await router.on_call_update(CallUpdate(card(exts=("201",))), T0) == 0  # nobody watches 201
    for phase in ("ringing", "answered", "ended"):
        assert await router.on_call_update(CallUpdate(card(phase=phase, exts=("201", "202"))), T0) == 1
    assert await router.on_call_update(CallUpdate(card(phase="ended"), card_changed=False), T0) == 0
    [entry] = await store.pending_for_chat(watch)
    assert entry.dedup_key == f"card:A1:{watch}" and entry.version == 3
    assert isinstance(entry.alert, CallCard) and entry.alert.phase == "ended"
    assert await store.pending_for_chat(G1) == []  # G1 does not watch calls
