"""Call tracking: groups channel legs into calls and decides, once per call, whether it was missed.

Pure and synchronous (injected clock, no I/O). Legs index into calls by uuid; a leg joins a call by
the source's call identity (``call_id``, API 3.0) when it has one, else by the open inbound A-leg of
its caller number (API 2.0), so each event costs a few dict lookups; memory is bounded by a TTL, a
cap on tracked legs and a FIFO of recently finished leg uuids (their late events are ignored).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.domain import ActiveCall, CallCard, MissedCall
from bot.events import (
    ChannelAnswer,
    ChannelBridge,
    ChannelCreate,
    ChannelDestroy,
    ChannelHold,
    ChannelUnhold,
    PbxEvent,
)
from bot.phone import is_extension
from bot.tracking.callstate import GROUP_WINDOW_MS, TrackedCall, classify, leg_label

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallUpdate:
    """What one event changed: the call's card, its missed-call verdict (set once per call),
    whether the call is over, whether its snapshot should be saved, and whether the card's
    visible content (phase, extensions) changed."""

    card: CallCard
    missed: MissedCall | None = None
    finished: bool = False
    persist: bool = False
    card_changed: bool = True


class CallTracker:
    """Turns ``channel_*`` events into :class:`CallUpdate` values (implements ``CallsView``)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        ttl_s: float = 4 * 3600.0,
        max_legs: int = 100_000,
        finished_memory: int = 50_000,
    ) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._max_legs = max_legs
        self._finished_cap = finished_memory
        self._calls: dict[str, TrackedCall] = {}  # insertion order = arrival order
        self._leg_call: dict[str, str] = {}  # live leg uuid -> call id
        self._open_a: dict[str, list[str]] = {}  # caller number -> open inbound call ids
        self._by_pbx_id: dict[str, str] = {}  # the source's call identity -> call id
        # recently finished leg uuids, FIFO; an OrderedDict because ``del d[next(iter(d))]`` on a
        # plain dict walks every slot deleted so far at its front (the soak slowed by a third, #14)
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._handlers: dict[type, Callable[[Any], list[CallUpdate]]] = {
            ChannelCreate: self._on_create,
            ChannelAnswer: self._on_answer,
            ChannelBridge: self._on_bridge,
            ChannelDestroy: self._on_destroy,
            ChannelHold: lambda ev: self._on_hold(ev.uuid, True),
            ChannelUnhold: lambda ev: self._on_hold(ev.uuid, False),
        }

    # --- public -----------------------------------------------------------------------------

    def feed(self, event: PbxEvent) -> list[CallUpdate]:
        """Apply one PBX event; events other than create/answer/bridge/destroy/hold/unhold
        change nothing."""
        handler = self._handlers.get(type(event))
        return handler(event) if handler is not None else []

    def evict(self, now: float) -> list[CallUpdate]:
        """Drop calls tracked for longer than the TTL without a destroy (no missed verdict)."""
        out: list[CallUpdate] = []
        while self._calls:
            call = next(iter(self._calls.values()))
            if now - call.created_at < self._ttl_s:
                break
            out.append(self._drop(call))
        return out

    def active_calls(self) -> list[ActiveCall]:
        return [call.active() for call in self._calls.values()]

    def snapshot(self, call_id: str) -> dict[str, Any]:
        """The call's state as a JSON-safe dict ({} if it is not tracked)."""
        call = self._calls.get(call_id)
        return call.to_dict() if call is not None else {}

    def restore(self, snapshots: list[dict[str, Any]]) -> None:
        """Re-track calls saved by a previous process (bad snapshots are skipped)."""
        calls: list[TrackedCall] = []
        for snap in snapshots:
            try:
                calls.append(TrackedCall.from_dict(snap))
            except (KeyError, TypeError, ValueError) as exc:
                logger.error("skipping unreadable call snapshot: %s", exc)
        for call in sorted(calls, key=lambda c: c.created_at):
            if call.call_id in self._calls:
                continue
            self._calls[call.call_id] = call
            for uuid in call.legs:
                self._leg_call[uuid] = call.call_id
            if call.pbx_id:
                self._by_pbx_id[call.pbx_id] = call.call_id
            elif call.inbound and not call.answered:
                self._open_a.setdefault(call.caller_number, []).append(call.call_id)

    def __len__(self) -> int:
        return len(self._calls)

    # --- event handlers -----------------------------------------------------------------------

    def _on_create(self, ev: ChannelCreate) -> list[CallUpdate]:
        if ev.uuid in self._leg_call or ev.uuid in self._finished or not ev.uuid:
            return []
        stamp = ev.created_stamp or self._now_ms()
        label = leg_label(ev.endpoint, ev.destination_number)
        if ev.call_id:  # the source names the call: its legs are grouped by that alone
            call = self._calls.get(self._by_pbx_id.get(ev.call_id, ""))
        else:
            call = None if ev.direction == "inbound" else self._find_a(ev.caller_number, stamp)
        if call is None:
            call = self._new_call(ev, stamp, label)
            changed = True
        else:
            changed = call.add_leg(ev.uuid, label)
        self._leg_call[ev.uuid] = call.call_id
        out = [CallUpdate(call.card(), persist=True, card_changed=changed)]
        while len(self._leg_call) > self._max_legs and self._calls:
            out.append(self._drop(next(iter(self._calls.values()))))
        return out

    def _new_call(self, ev: ChannelCreate, stamp: int, label: str) -> TrackedCall:
        inbound = ev.direction == "inbound"
        caller, callee = ev.caller_number, ev.destination_number
        if not inbound and is_extension(callee) and not is_extension(caller):
            caller, callee = callee, caller  # click-to-call: the PBX rings our extension first
        call = TrackedCall(
            call_id=ev.uuid,
            direction=classify(ev) if inbound else "out",
            inbound=inbound,
            caller_number=caller,
            caller_name=ev.caller_name if inbound else "",
            callee=callee,
            gate=ev.gate,
            started_ms=stamp,
            created_at=self._clock(),
            pbx_id=ev.call_id,
        )
        call.add_leg(ev.uuid, "" if inbound else label)
        if inbound:
            call.add_extension(ev.destination_number)
        self._calls[call.call_id] = call
        if ev.call_id:
            self._by_pbx_id[ev.call_id] = call.call_id
        elif inbound:
            self._open_a.setdefault(ev.caller_number, []).append(call.call_id)
        return call

    def _find_a(self, caller: str, stamp: int) -> TrackedCall | None:
        """The newest live, unanswered inbound call from ``caller`` created within 120 s."""
        for call_id in reversed(self._open_a.get(caller, ())):
            call = self._calls.get(call_id)
            if call is not None and not call.answered and stamp - call.started_ms <= GROUP_WINDOW_MS:
                return call
        return None

    def _on_answer(self, ev: ChannelAnswer) -> list[CallUpdate]:
        call = self._call_of(ev.uuid)
        if call is None or call.answered or (call.inbound and ev.uuid == call.call_id):
            return []  # unknown leg, already answered, or an IVR answering the A-leg
        call.mark_answered(call.legs[ev.uuid], ev.answered_stamp or self._now_ms())
        self._close_a(call)
        return [CallUpdate(call.card(), persist=True)]

    def _on_bridge(self, ev: ChannelBridge) -> list[CallUpdate]:
        call, other = self._call_of(ev.aleg_uuid), self._call_of(ev.bleg_uuid)
        if call is None:
            call, other = other, None
        if call is None:
            return []
        out: list[CallUpdate] = []
        if other is not None and other is not call:
            out.extend(self._merge(other, ev.bleg_uuid, call))
        if not call.answered:
            label = call.legs.get(ev.bleg_uuid, "")
            call.mark_answered(label, self._now_ms())
            self._close_a(call)
        out.append(CallUpdate(call.card(), persist=True))
        return out

    def _on_hold(self, uuid: str, held: bool) -> list[CallUpdate]:
        """Hold/unhold only flips the call's on-hold mark; answered and missed stay as they are."""
        call = self._call_of(uuid)
        if call is None or not call.set_hold(uuid, held):
            return []  # unknown leg, or no visible change (another leg is still held)
        return [CallUpdate(call.card(), persist=True)]

    def _merge(self, other: TrackedCall, uuid: str, into: TrackedCall) -> list[CallUpdate]:
        """A bridge proved leg ``uuid`` belongs to ``into``: move it (and, if it was the root of
        ``other``, every leg of ``other``)."""
        moving = list(other.legs) if uuid == other.call_id else [uuid]
        for leg in moving:
            into.add_leg(leg, other.legs.pop(leg))
            if leg in other.held:
                other.set_hold(leg, False)
                into.set_hold(leg, True)
            self._leg_call[leg] = into.call_id
        if other.legs:
            return [CallUpdate(other.card(), persist=True)]
        self._forget(other)
        return [CallUpdate(other.card(ended_ms=self._now_ms()), finished=True)]

    def _on_destroy(self, ev: ChannelDestroy) -> list[CallUpdate]:
        call = self._call_of(ev.uuid)
        if call is None:
            return []  # unknown or already finished leg: never a new call
        if ev.uuid != call.call_id:
            call.legs.pop(ev.uuid, None)
            unheld = call.set_hold(ev.uuid, False)
            call.last_b_cause = ev.hangup_cause or call.last_b_cause
            del self._leg_call[ev.uuid]
            self._remember(ev.uuid)
            return [CallUpdate(call.card(), persist=True)] if unheld else []
        if ev.created_stamp and call.inbound:
            call.started_ms = min(call.started_ms, ev.created_stamp)
        ended_ms = self._now_ms()
        self._forget(call)
        missed = call.missed(ended_ms, ev.hangup_cause)
        card = call.card(ended_ms=ended_ms, cause=ev.hangup_cause, missed=missed is not None)
        return [CallUpdate(card, missed=missed, finished=True)]

    # --- bookkeeping --------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return round(self._clock() * 1000)

    def _call_of(self, uuid: str) -> TrackedCall | None:
        call_id = self._leg_call.get(uuid)
        return self._calls.get(call_id) if call_id is not None else None

    def _close_a(self, call: TrackedCall) -> None:
        ids = self._open_a.get(call.caller_number)
        if ids is not None and call.call_id in ids:
            ids.remove(call.call_id)
            if not ids:
                del self._open_a[call.caller_number]

    def _forget(self, call: TrackedCall) -> None:
        self._calls.pop(call.call_id, None)
        self._close_a(call)
        if call.pbx_id and self._by_pbx_id.get(call.pbx_id) == call.call_id:
            del self._by_pbx_id[call.pbx_id]
        for uuid in call.legs:
            self._leg_call.pop(uuid, None)
            self._remember(uuid)
        self._remember(call.call_id)

    def _remember(self, uuid: str) -> None:
        self._finished[uuid] = None
        if len(self._finished) > self._finished_cap:
            self._finished.popitem(last=False)

    def _drop(self, call: TrackedCall) -> CallUpdate:
        logger.info("dropping call %s: no destroy within %.0f s", call.call_id, self._ttl_s)
        self._forget(call)
        return CallUpdate(call.card(ended_ms=self._now_ms()), finished=True)
