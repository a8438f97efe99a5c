"""Call tracking: groups channel legs into calls and decides, once per call, whether it was missed.

Pure and synchronous (injected clock, no I/O). Legs index into calls by uuid; a leg joins a call by
the source's call identity (``call_id``, API 3.0) when it has one, else (API 2.0) by the caller's
*number* (``bot.phone.number_key``: ``79161234567`` and ``89161234567`` are one caller; a hidden
caller is never grouped): an outbound leg joins the live, unanswered inbound call of its caller
however long that call has waited (a queue), the 120 s window only choosing between several such
calls. Times on cards and alerts are the call's first PBX stamp plus local elapsed time, so a
duration never mixes the PBX clock with the local one. Link gaps (:meth:`link_down` /
:meth:`link_up`) make the verdict of every call alive across them ``uncertain``; a gapped call that
stays silent for ``gap_quiet_s`` after the link is back is taken to have ended in the gap and is
alerted as uncertain (never dropped silently). Memory is bounded by a TTL, a cap on tracked legs
and a FIFO of recently finished leg uuids (their late events are ignored). A call with a PBX
identity waits up to ``call_end_wait_s`` (0 = not at all) after its root leg for the PBX's
``CallEnd``, which then decides answered vs missed (a certain verdict, gap or not); without it the
legs decide.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from bot.domain import ActiveCall, CallCard, MissedCall
from bot.events import (
    CallEnd,
    ChannelAnswer,
    ChannelApplication,
    ChannelBridge,
    ChannelCreate,
    ChannelDestroy,
    ChannelHold,
    ChannelUnhold,
    PbxEvent,
)
from bot.fastdata import fast_frozen
from bot.phone import is_extension
from bot.tracking.callindex import TRANSFER_APPS, CallIndex
from bot.tracking.callstate import ANSWERED_ELSEWHERE, TrackedCall, classify, leg_label

logger = logging.getLogger(__name__)

#: dialplan applications that hand a live call to someone else (the next leg of its caller joins)
GAP_QUIET_S = 90.0


@fast_frozen  # one per PBX event (bot.fastdata)
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
        country: str = "RU",
        gap_quiet_s: float = GAP_QUIET_S,
        call_end_wait_s: float = 0.0,
    ) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._max_legs = max_legs
        self._finished_cap = finished_memory
        self._country = country
        self._gap_quiet_s = gap_quiet_s
        self._calls: dict[str, TrackedCall] = {}  # insertion order = arrival order
        self._leg_call: dict[str, str] = {}  # live leg uuid -> call id
        self._index = CallIndex(self._calls, country=country, clock=clock)
        self._quiet: dict[str, None] = {}  # gapped calls silent since the link came back
        self._end_wait_s = call_end_wait_s
        #: the PBX's call id -> a call whose legs all ended, waiting for its CallEnd verdict
        self._ending: dict[str, tuple[TrackedCall, int, str, float]] = {}
        self._ends: dict[str, CallEnd] = {}  # CallEnds that came before their call's root leg ended
        self._finished: set[str] = set()  # recently finished leg uuids ...
        self._finished_order: deque[str] = deque()  # ... oldest first (a dict's next(iter()) after
        # many deletions at its front scans the dead slots: O(n) per eviction)
        self._handlers: dict[type, Callable[[Any], list[CallUpdate]]] = {
            ChannelCreate: self._on_create,
            ChannelAnswer: self._on_answer,
            ChannelBridge: self._on_bridge,
            ChannelDestroy: self._on_destroy,
            ChannelApplication: self._on_application,
            ChannelHold: lambda ev: self._on_hold(ev.uuid, True),
            ChannelUnhold: lambda ev: self._on_hold(ev.uuid, False),
            CallEnd: self._on_call_end,
        }

    # --- public -----------------------------------------------------------------------------

    def feed(self, event: PbxEvent) -> list[CallUpdate]:
        """Apply one PBX event; events other than channel events change nothing."""
        handler = self._handlers.get(type(event))
        return handler(event) if handler is not None else []

    def evict(self, now: float) -> list[CallUpdate]:
        """Drop calls tracked for longer than the TTL without a destroy (no missed verdict), and
        finish gapped calls silent for ``gap_quiet_s`` since the link came back (uncertain), and
        give calls whose CallEnd did not come in time the legs' verdict."""
        out = self._end_overdue(now)
        while self._calls:
            call = next(iter(self._calls.values()))
            if now - call.created_at < self._ttl_s:
                break
            out.append(self._drop(call))
        if self._quiet:
            out += self._settle_quiet(now)
        return out

    def link_down(self) -> list[CallUpdate]:
        """The event stream has a gap from now on (link lost, or the bot was not running): every
        call alive now may miss events, so none of them gets a certain verdict any more."""
        out = []
        for call in self._calls.values():
            if not call.gapped or call.gap_since is not None:
                call.gapped, call.gap_since = True, None
                self._quiet.pop(call.call_id, None)
                out.append(CallUpdate(call.card(), persist=True, card_changed=False))
        return out

    def link_up(self) -> list[CallUpdate]:
        """Events flow again: gapped calls that stay silent from now on ended inside the gap."""
        now = self._clock()
        out = []
        for call in self._calls.values():
            if call.gapped and call.gap_since is None:
                call.gap_since = now
                self._quiet[call.call_id] = None
                out.append(CallUpdate(call.card(), persist=True, card_changed=False))
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
            self._index.add(call)
            if call.gap_since is not None:
                self._quiet[call.call_id] = None

    def __len__(self) -> int:
        return len(self._calls)

    # --- event handlers -----------------------------------------------------------------------

    def _on_create(self, ev: ChannelCreate) -> list[CallUpdate]:
        if ev.uuid in self._leg_call or ev.uuid in self._finished or not ev.uuid:
            return []
        label = leg_label(ev.endpoint, ev.destination_number)
        if ev.call_id:  # the source names the call: its legs are grouped by that alone
            call = self._index.by_identity(ev.call_id)
        elif ev.direction == "inbound":
            call = None
        else:
            call = self._index.find(ev)
        if call is None:
            call = self._new_call(ev, self._clock(), label)
            changed = True
        else:
            if call.gap_since is not None:
                self._touch(call)
            changed = call.add_leg(ev.uuid, label)
            if call.direction == "internal":
                changed = self._b_leg_kind(call, ev, label) or changed
        self._leg_call[ev.uuid] = call.call_id
        out = [CallUpdate(call.card(), persist=True, card_changed=changed)]
        while len(self._leg_call) > self._max_legs and self._calls:
            out.append(self._drop(next(iter(self._calls.values()))))
        return out

    def _b_leg_kind(self, call: TrackedCall, ev: ChannelCreate, label: str) -> bool:
        """For an internal call: a ringing extension phone makes it real; a leg to the outside
        turns a call to a short number (112, 0611, 900) into an outgoing one."""
        # a phone's leg: "201@domain" on API 2.0; API 3.0 sends no endpoint, only the number
        if ("@" in ev.endpoint or not ev.endpoint) and is_extension(label):
            call.ext_rang = True
            return False
        if not call.ext_rang and call.inbound:
            call.direction = "out"
            call.rang.pop(call.callee, None)
            call.exts_cache = None
            return True
        return False

    def _new_call(self, ev: ChannelCreate, now: float, label: str) -> TrackedCall:
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
            started_ms=ev.created_stamp or round(now * 1000),
            created_at=now,
            pbx_id=ev.call_id,
        )
        call.add_leg(ev.uuid, "" if inbound else label)
        if inbound:
            call.add_extension(ev.destination_number)
        self._calls[call.call_id] = call
        self._index.add(call)
        return call

    def _on_application(self, ev: ChannelApplication) -> list[CallUpdate]:
        call = self._call_of(ev.uuid)
        if call is None or ev.application.strip().lower() not in TRANSFER_APPS:
            return []
        self._index.transferring(call)
        return [CallUpdate(call.card(), persist=True, card_changed=False)]

    def _on_answer(self, ev: ChannelAnswer) -> list[CallUpdate]:
        call = self._call_of(ev.uuid)
        if call is not None and ev.uuid == call.call_id and call.inbound and not call.app:
            call.app = True  # an IVR, queue, voicemail or conference answered the A-leg
            return [CallUpdate(call.card(), persist=True, card_changed=False)]
        if call is None or call.answered or ev.uuid == call.call_id:
            return []  # unknown leg, already answered, an application answering the A-leg, or the
            # agent's own phone answering a click-to-call (answered only when the far end answers)
        call.mark_answered(call.legs[ev.uuid], call.elapsed_ms(self._clock()), ev.uuid)
        return [CallUpdate(call.card(), persist=True)]

    def _on_bridge(self, ev: ChannelBridge) -> list[CallUpdate]:
        a, b = self._call_of(ev.aleg_uuid), self._call_of(ev.bleg_uuid)
        if a is None and b is None:
            return []
        out: list[CallUpdate] = []
        if a is not None and b is not None and a is not b:
            a_root, b_root = ev.aleg_uuid == a.call_id, ev.bleg_uuid == b.call_id
            a_first = (a_root and not b_root) or (a_root == b_root and a.created_at <= b.created_at)
            into, other = (a, b) if a_first else (b, a)  # a call's root leg keeps it; else the older
            moving = ev.bleg_uuid if other is b else ev.aleg_uuid
            out.extend(self._merge(other, moving, into))
        else:
            into = a if a is not None else b  # type: ignore[assignment]  # not both None (above)
        leg = ev.bleg_uuid if ev.aleg_uuid == into.call_id else ev.aleg_uuid
        if not into.answered:
            into.mark_answered(into.legs.get(leg, ""), into.elapsed_ms(self._clock()), leg)
        if into.answered_leg in (ev.aleg_uuid, ev.bleg_uuid) or not into.answered_leg:
            into.talked = True
        out.append(CallUpdate(into.card(), persist=True))
        return out

    def _on_hold(self, uuid: str, held: bool) -> list[CallUpdate]:
        """Hold/unhold only flips the call's on-hold mark; answered and missed stay as they are."""
        call = self._call_of(uuid)
        if call is None or not call.set_hold(uuid, held):
            return []  # unknown leg, or no visible change (another leg is still held)
        return [CallUpdate(call.card(), persist=True)]

    def _merge(self, other: TrackedCall, uuid: str, into: TrackedCall) -> list[CallUpdate]:
        """A bridge proved leg ``uuid`` belongs to ``into``: move it (and, if it was the root of
        ``other``, every leg of ``other``). If ``other`` counted that leg's answer without a
        conversation of its own, it is not answered any more (the answer was ``into``'s)."""
        moving = list(other.legs) if uuid == other.call_id else [uuid]
        for leg in moving:
            label = other.legs.pop(leg)
            if leg == other.call_id and not label and is_extension(other.caller_number):
                label = other.caller_number  # a pickup: the phone that picked the call up
            into.add_leg(leg, label)
            if leg in other.held:
                other.set_hold(leg, False)
                into.set_hold(leg, True)
            self._leg_call[leg] = into.call_id
            if leg != other.call_id and label in other.rang and label not in other.legs.values():
                del other.rang[label]  # that phone rang for ``into``, not for ``other``
                other.exts_cache = None
        if other.answered_leg in moving and not other.talked:
            other.unanswer()
        if other.legs:
            return [CallUpdate(other.card(), persist=True)]
        self._forget(other)
        return [CallUpdate(other.card(ended_ms=other.elapsed_ms(self._clock())), finished=True)]

    def _on_destroy(self, ev: ChannelDestroy) -> list[CallUpdate]:
        call = self._call_of(ev.uuid)
        if call is None:
            return []  # unknown or already finished leg: never a new call
        if ev.uuid != call.call_id:
            call.legs.pop(ev.uuid, None)
            unheld = call.set_hold(ev.uuid, False)
            call.last_b_cause = ev.hangup_cause or call.last_b_cause
            newly_picked = not call.answered and not call.picked and ev.hangup_cause in ANSWERED_ELSEWHERE
            call.picked = call.picked or newly_picked
            del self._leg_call[ev.uuid]
            self._remember(ev.uuid)
            if unheld or newly_picked:
                return [CallUpdate(call.card(), persist=True, card_changed=unheld)]
            return []
        ended_ms = call.elapsed_ms(self._clock())
        end = self._ends.get(call.pbx_id) if call.pbx_id else None
        if call.pbx_id and end is None and self._end_wait_s > 0:
            self._forget(call)
            self._ending[call.pbx_id] = (call, ended_ms, ev.hangup_cause, self._clock() + self._end_wait_s)
            return []  # the PBX's CallEnd decides (or, if it never comes, evict() does)
        return [self._finish(call, ended_ms, ev.hangup_cause, end)]

    def _finish(self, call: TrackedCall, ended_ms: int, cause: str, end: CallEnd | None = None) -> CallUpdate:
        self._forget(call)
        return self._ended(call, ended_ms, cause, end)

    def _ended(self, call: TrackedCall, ended_ms: int, cause: str, end: CallEnd | None) -> CallUpdate:
        missed = _verdict(call, ended_ms, cause, end)
        card = call.card(ended_ms=ended_ms, cause=cause, missed=missed is not None)
        return CallUpdate(card, missed=missed, finished=True)

    def _on_call_end(self, ev: CallEnd) -> list[CallUpdate]:
        """The PBX's verdict: finish the waiting call, or keep it for when the root leg ends."""
        waiting = self._ending.pop(ev.call_id, None)
        if waiting is not None:
            call, ended_ms, cause, _ = waiting
            return [self._ended(call, ended_ms, cause, ev)]
        if self._index.by_identity(ev.call_id) is not None:
            self._ends[ev.call_id] = ev
        return []

    def _end_overdue(self, now: float) -> list[CallUpdate]:
        if not self._ending:
            return []
        overdue = [pbx_id for pbx_id, (*_, deadline) in self._ending.items() if now >= deadline]
        out = []
        for pbx_id in overdue:
            call, ended_ms, cause, _ = self._ending.pop(pbx_id)
            logger.info("call %s: no call_end from the PBX; the legs decide", pbx_id)
            out.append(self._ended(call, ended_ms, cause, None))
        return out

    def _settle_quiet(self, now: float) -> list[CallUpdate]:
        """Gapped, unanswered calls silent since the link came back ended inside the gap."""
        out = []
        for call_id in list(self._quiet):
            call = self._calls.get(call_id)
            if call is None or call.gap_since is None:
                del self._quiet[call_id]
            elif now - call.gap_since >= self._gap_quiet_s and not call.answered:
                logger.info("call %s ended while the PBX link was down: outcome unknown", call_id)
                out.append(self._finish(call, call.elapsed_ms(call.gap_since), ""))
        return out

    # --- bookkeeping --------------------------------------------------------------------------

    def call_of(self, uuid: str) -> str | None:
        """The id of the call live leg ``uuid`` belongs to (None for an unknown leg)."""
        return self._leg_call.get(uuid)

    def _touch(self, call: TrackedCall) -> None:
        if call.gap_since is not None:  # heard from after the gap: still alive
            call.gap_since = None
            self._quiet.pop(call.call_id, None)

    def _call_of(self, uuid: str) -> TrackedCall | None:
        call_id = self._leg_call.get(uuid)
        call = self._calls.get(call_id) if call_id is not None else None
        if call is not None and call.gap_since is not None:
            self._touch(call)
        return call

    def _forget(self, call: TrackedCall) -> None:
        self._calls.pop(call.call_id, None)
        self._index.remove(call)
        if call.pbx_id and self._ends:
            self._ends.pop(call.pbx_id, None)
        if self._quiet:
            self._quiet.pop(call.call_id, None)
        for uuid in call.legs:
            self._leg_call.pop(uuid, None)
            self._remember(uuid)
        self._remember(call.call_id)

    def _remember(self, uuid: str) -> None:
        if uuid in self._finished:
            return
        self._finished.add(uuid)
        self._finished_order.append(uuid)
        if len(self._finished_order) > self._finished_cap:
            self._finished.discard(self._finished_order.popleft())

    def _drop(self, call: TrackedCall) -> CallUpdate:
        logger.info("dropping call %s: no destroy within %.0f s", call.call_id, self._ttl_s)
        self._forget(call)
        return CallUpdate(call.card(ended_ms=call.elapsed_ms(self._clock())), finished=True)


def _verdict(call: TrackedCall, ended_ms: int, cause: str, end: CallEnd | None) -> MissedCall | None:
    """Missed or not: the PBX's ``CallEnd`` when it says whether anyone talked, else the legs.

    A talk time above zero is answered whatever the legs showed; zero is missed for an inbound
    call (the contract's rule, even when an IVR or voicemail answered a leg) and for an internal
    call the legs saw as internal (so internal alerts keep working); never for outgoing calls.
    """
    if end is None or end.answered is None:
        missed = call.missed(ended_ms, cause)
    elif end.answered or not (end.missed or (end.type == "local" and call.direction == "internal")):
        return None
    else:
        answered, call.answered = call.answered, False  # the PBX says nobody talked
        try:
            missed = call.missed(ended_ms, cause)
        finally:
            call.answered = answered
    if missed is None:
        return None
    if end is not None and end.answered is not None and missed.uncertain:
        missed = dataclasses.replace(missed, uncertain=False)  # the PBX itself says: no gap guess
    return dataclasses.replace(missed, pbx_id=call.pbx_id) if call.pbx_id else missed
