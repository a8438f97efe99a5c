"""Plays a call flow (tests/flows/*.json) through the real event pipeline on a SQLite file.

Every event goes through the real parser of the chosen PBX API (``api="2"`` or ``"3"``, see
:mod:`tests.flows.wire`; on 3.0 the tracker waits ``CALL_END_WAIT_S`` for the PBX's ``call_end``
as the app does, and the flow runs that much longer so a wait resolves), the real CallTracker,
RegistrationTracker, AlertRouter and EventPipeline, on a fake clock ticked every second like the
app does. Link markers become :class:`LinkChange` signals and drop the events inside the gap;
a ``restart`` marker builds a new pipeline from the same SQLite file and tells it the stream had a
gap, as the app does at startup; a link "up" (or a restart) awaits the phone list like the app.
``restart_before`` adds a *seamless* restart before that step
(restore only, no gap): the new process must reach exactly the same alerts, so it checks that
every decision survives the snapshot.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adapters.pbx.parse import parse_user_list
from adapters.pbx.simulator.flow import Flow
from bot.alerts.batch import WriteBatch
from bot.alerts.pipeline import EventPipeline
from bot.alerts.render import Renderer
from bot.alerts.resolve import FollowUps
from bot.alerts.router import AlertRouter
from bot.cli.app import CALL_END_WAIT_S
from bot.domain import (
    Alert,
    CallCard,
    ChatRef,
    ChatSettings,
    MissedCall,
    OutboxEntry,
    RegistrationChange,
    SipUser,
)
from bot.errors import StorageError
from bot.tracking import CallTracker, LinkChange, Presence, RegistrationTracker
from bot.writes import Write
from storage.sqlite import SqliteStore
from tests.flows.wire import Wire

T0 = 1_700_000_000.0


class FlowStore(SqliteStore):
    """The real SQLite store that refuses the event path's writes while ``down`` (a flow's store
    markers): the group commit (``apply``, how the pipeline writes) and a lone ``enqueue``."""

    down = False

    async def apply(self, writes: Sequence[Write]) -> list[OutboxEntry | None]:
        if self.down:
            raise StorageError("database is locked")
        return await super().apply(writes)

    async def enqueue(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> bool:
        if self.down:
            raise StorageError("database is locked")
        return await super().enqueue(dedup_key, chat, alert, now)


class FlowClock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def chat_ref(name: str) -> ChatRef:
    return ChatRef("telegram", f"flow-{name}")


def pipeline(
    store: SqliteStore, clock: FlowClock, api: str = "2", followups: FollowUps | None = None
) -> EventPipeline:
    """Wired as ``bot/cli/app.py`` does: the router writes through the pipeline's group commit,
    finished calls go to ``followups`` (missed-call resolution, on the store itself)."""
    regs = RegistrationTracker(clock=clock)
    wait_s = CALL_END_WAIT_S if api == "3" else 0.0
    batch = WriteBatch(store)
    return EventPipeline(
        store,
        tracker=CallTracker(clock=clock, country="RU", call_end_wait_s=wait_s),
        registrations=regs,
        presence=Presence(regs),
        router=AlertRouter(batch.store, cache_ttl_s=0),
        clock=clock,
        enqueue_retry_s=(),
        batch=batch,
        followups=followups,
    )


async def setup_chats(store: SqliteStore, flow: Flow) -> None:
    """Each chat of the flow, with its bindings and settings."""
    for name, spec in flow.chats.items():
        chat = chat_ref(name)
        settings = await store.ensure_chat(chat, title=name, language="en", timezone="UTC")
        for ext in spec.get("bind", ()):
            await store.bind(chat, str(ext))
        flags = {k: v for k, v in spec.items() if k != "bind"}
        await store.update_chat(dataclasses.replace(settings, **flags))


class PhoneBook:
    """What the PBX's ``user_list`` would answer at a moment of the flow: every registration the
    PBX saw (also inside a link gap), one entry per device, until it expires or unregisters."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[dict[str, Any], float]] = {}

    def saw(self, payload: dict[str, Any], now: float) -> None:
        if payload.get("state") != "register":
            return
        key = (str(payload.get("uid")), f"{payload.get('ip')}:{payload.get('port')}")
        expires = int(payload.get("expires") or 3600)
        if expires == 0:
            self._entries.pop(key, None)
        else:
            self._entries[key] = (payload, now + expires)

    def users(self, now: float) -> list[SipUser]:
        listed = [{**p, "exp": int(until * 1000)} for p, until in self._entries.values() if until > now]
        return parse_user_list(listed)


async def play(
    flow: Flow, db: Path, restart_before: int | None = None, api: str = "2"
) -> dict[str, list[dict[str, Any]]]:
    """Run the flow on PBX API ``api``; returns the alerts queued per chat, projected as the
    flow's ``expect``. ``restart_before == len(steps)`` restarts after the last step. Like the app, every
    connect (link up, restart) awaits the phone list: at the flow's next
    ``seed`` marker if it has any, else at once."""
    clock, book = FlowClock(), PhoneBook()
    wire = Wire(api, flow, lambda: int((clock.t + flow.pbx_clock_offset_s) * 1000))
    waits_for_seed = any(step.marker == "seed" for step in flow.steps)
    store = await FlowStore.open(str(db))

    async def connected(pipe: EventPipeline) -> None:
        pipe.begin_seed()
        if not waits_for_seed:
            await pipe.seed_users(book.users(clock.t))

    followups = FollowUps(store)

    def new_process() -> EventPipeline:  # a (re)started bot: new trackers and follow-ups, same file
        nonlocal followups
        followups = FollowUps(store, country="RU", window_h=flow.resolve_window_h,
                              names=lambda ext: flow.names.get(ext, ""))  # fmt: skip
        return pipeline(store, clock, api, followups)

    try:
        await setup_chats(store, flow)
        pipe = new_process()
        await pipe.restore()
        down = False
        for i, step in enumerate(flow.steps):
            await advance(pipe, clock, T0 + step.at)
            if i == restart_before:  # seamless: nothing lost, the phone list comes at once
                pipe = new_process()
                await pipe.restore()
                pipe.begin_seed()
                await pipe.seed_users(book.users(clock.t))
            if step.marker in ("down", "up"):
                down = step.marker == "down"
                await pipe.handle(LinkChange(up=not down))
                if not down:
                    await connected(pipe)
            elif step.marker == "restart":
                pipe = new_process()
                await pipe.restore()
                await pipe.handle(LinkChange(up=False))
                if not down:
                    await pipe.handle(LinkChange(up=True))
                    await connected(pipe)
            elif step.marker == "seed":
                await pipe.seed_users(book.users(clock.t))
            elif step.marker == "done":
                await followups.mark_done(str(step.payload["call"]), str(step.payload["by"]), clock.t)
            elif step.marker in ("store_down", "store_up"):
                store.down = step.marker == "store_down"
            elif step.name:
                if step.name == "registration":
                    book.saw(step.payload, clock.t)
                events = wire.events(step)  # the PBX sends them, gap or not
                if not down:
                    for event in events:
                        await pipe.handle(event)
        if restart_before == len(flow.steps):
            pipe = new_process()
            await pipe.restore()
        await advance(pipe, clock, T0 + flow.end_at + (CALL_END_WAIT_S + 1 if api == "3" else 0))
        out: dict[str, list[dict[str, Any]]] = {}
        for name in flow.chats:
            chat = await store.get_chat(chat_ref(name))
            assert chat is not None
            out[name] = [project(e, chat) for e in await store.pending_for_chat(chat_ref(name))]
        return out
    finally:
        await store.close()


async def advance(pipe: EventPipeline, clock: FlowClock, to: float) -> None:
    """Move the clock to ``to``, ticking the pipeline at every whole second on the way."""
    nxt = float(int(clock.t) + 1)
    while nxt <= to:
        clock.t = nxt
        await pipe.tick()
        nxt += 1
    clock.t = max(clock.t, to)


def project(entry: OutboxEntry, chat: ChatSettings | None = None) -> dict[str, Any]:
    """An outbox entry as the flow files write expected alerts (defaults left out); a missed call's
    follow-up lines (✅ resolved, ↩ tried) as the chat's final edited text shows them (given the
    chat's settings)."""
    alert = entry.alert
    if isinstance(alert, MissedCall):
        out: dict[str, Any] = {"call": alert.call_id, "from": alert.caller_number,
                               "rang": list(alert.extensions)}  # fmt: skip
        if not alert.uncertain:
            out["ring_s"] = round((alert.ended_ms - alert.started_ms) / 1000)
        if alert.internal:
            out["internal"] = True
        if alert.uncertain:
            out["uncertain"] = True
        if chat is not None and (alert.resolution or alert.tries):
            text = Renderer("RU").render(alert, chat).text
            out["followup"] = [line for line in text.splitlines() if line[:1] in "✅↩"]
        return out
    if isinstance(alert, RegistrationChange):
        reg: dict[str, Any] = {"reg": alert.ext, "online": alert.online}
        if alert.flaps > 1:
            reg["flaps"] = alert.flaps
        return reg
    assert isinstance(alert, CallCard)
    return {"card": alert.call_id, "direction": alert.direction, "phase": alert.phase, "missed": alert.missed}
