"""Self-resolving missed-call alerts: every finished call is recorded, and a missed call whose
number is called back (and answered) or calls again (and is answered) within the window is
resolved; its alerts are edited in place through the durable outbox.

Strategy: state lives in the store (one :class:`CallRecord` per finished call), so a restart
loses nothing; an alert update is ``Store.upsert_card`` on the alert's own outbox row, which bumps
its version and lets the delivery worker edit the posted message (paced, retried, exactly once).

Rules (where the issue is silent): a call matches when ``bot.phone.number_key`` of its far end
equals the missed caller's (hidden numbers never match) and it started within
``BOT_RESOLVE_WINDOW_H`` after the missed call. An outgoing call is connected when its answer came
from the far end, not from the calling extension picking up a click-to-call. Internal missed
calls are not resolved automatically (Done still works). Callback tries of one extension less
than ``TRY_MERGE_MS`` apart are one try (a click-to-call's two legs).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from bot.domain import CallCard, CallRecord, MissedCall
from bot.phone import is_extension, number_key, number_tail
from bot.ports import Store
from bot.tracking import CallUpdate

logger = logging.getLogger(__name__)

TRY_MERGE_MS = 120_000


def _ms(card: CallCard, now: float) -> int:
    return card.ended_ms if card.ended_ms is not None else int(now * 1000)


def calling_extension(card: CallCard) -> str:
    """The extension that placed an outgoing call ("" when the legs do not say)."""
    if is_extension(card.caller_number):
        return card.caller_number
    return card.extensions[0] if card.extensions else ""


def connected(card: CallCard) -> bool:
    """Did a person at the far end answer? (For outgoing calls, not the caller's own phone.)"""
    if card.answered_ms is None or not card.answered_by:
        return False
    return card.direction != "out" or card.answered_by != calling_extension(card)


def record_of(update: CallUpdate, country: str, now: float, *, keyed: bool = True) -> CallRecord:
    """The row to store for a finished call (``keyed=False``: leave ``number_key`` empty)."""
    card, missed = update.card, update.missed
    far = card.caller_number if card.direction == "in" else card.callee
    ended = _ms(card, now)
    answered = missed is None and connected(card)
    verdict = "missed" if missed is not None else "answered" if answered else "unanswered"
    answer_ms = card.answered_ms if answered and card.answered_ms is not None else ended
    return CallRecord(
        call_id=card.call_id, start_ms=card.started_ms, direction=card.direction,
        caller=card.caller_number, callee=card.callee, number_key=number_key(far, country) if keyed else "",
        extensions=missed.extensions if missed is not None else card.extensions,
        answered_by=card.answered_by if answered else "", verdict=verdict,
        ring_s=max(0, answer_ms - card.started_ms) / 1000,
        talk_s=max(0, ended - answer_ms) / 1000 if answered else 0.0,
    )  # fmt: skip


class FollowUps:
    """Records finished calls and resolves the missed calls they answer (see module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        country: str = "RU",
        window_h: float = 24.0,
        names: Callable[[str], str] = lambda ext: "",
    ) -> None:
        self._store = store
        self._country = country
        self._window_ms = int(window_h * 3_600_000)
        self._names = names
        #: open missed calls by number key (loaded from the store at the first call, then kept up
        #: to date), so a finished call costs a dict lookup, not a scan of the window's records
        self._open: dict[str, dict[str, CallRecord]] | None = None
        self._open_tails: set[str] = set()  # number_tail of every open missed call's caller (or more)
        self._latest_ms = 0
        self._since_sweep = 0

    async def on_finished(self, update: CallUpdate, now: float) -> int:
        """Record one finished call; returns how many alerts were queued for an edit.

        ``number_key`` parses the number (about 0.1 ms, most of this method): it is worked out
        for a missed call (which is indexed by it) and for a call whose number's last 7 digits
        are those of an open missed call; any other call could resolve nothing and is stored
        without it (reports work it out when they need it)."""
        card = update.card
        await self._load(card.started_ms)
        far = card.caller_number if card.direction == "in" else card.callee
        keyed = update.missed is not None or number_tail(far) in self._open_tails
        rec = record_of(update, self._country, now, keyed=keyed)
        await self._store.record_call(rec)
        self._remember(rec)
        if not rec.number_key or rec.direction == "internal" or rec.missed:
            return 0
        edits = 0
        for missed in await self._open_missed(rec):
            if missed.resolution:  # resolved by this click-to-call's far leg: now the talk is known
                edits += await self._talked(missed, rec, update.card, now)
                continue
            changed = self._follow(missed, rec, update.card)
            if changed != missed:
                talk_ms = round(rec.talk_s * 1000) if changed.resolution == "callback" else 0
                edits += await self._apply(changed, now, talk_ms)
        return edits

    async def _talked(self, missed: CallRecord, rec: CallRecord, card: CallCard, now: float) -> int:
        """Click-to-call: the far leg (answered) is folded into the caller's leg at the bridge, so
        the resolution comes first and the talk time when the caller's leg ends."""
        if card.answered_by != missed.resolved_by or card.ended_ms is None:
            return 0
        if not rec.start_ms <= missed.resolved_ms <= card.ended_ms:
            return 0
        return await self._apply(missed, now, card.ended_ms - missed.resolved_ms)

    async def settled(self, missed: MissedCall, answered: bool, now: float) -> None:
        """The call history's verdict on a call the live events could not decide, or never saw:
        record it, so /missed lists it (if missed), a later callback resolves it and reports
        count it right. A call already recorded with that verdict is left as it is."""
        start = missed.started_ms
        found = [r for r in await self._store.calls_between(start, start + 1) if r.call_id == missed.call_id]
        verdict = "answered" if answered else "missed"
        if found and found[0].verdict == verdict:
            return
        base = found[0] if found else CallRecord(
            call_id=missed.call_id, start_ms=start, direction="internal" if missed.internal else "in",
            caller=missed.caller_number, callee=missed.destination,
            number_key=number_key(missed.caller_number, self._country), extensions=missed.extensions,
            ring_s=max(0, missed.ended_ms - start) / 1000,
        )  # fmt: skip
        rec = dataclasses.replace(base, verdict=verdict)
        await self._store.record_call(rec)
        await self._load(rec.start_ms)
        self._remember(rec)

    async def mark_done(self, call_id: str, who: str, now: float) -> bool:
        """The Done button: False when the call is unknown or already resolved."""
        entries = await self._store.missed_alerts(call_id)
        starts = [e.alert.started_ms for e in entries if isinstance(e.alert, MissedCall)]
        if not starts:
            return False
        found = [r for r in await self._store.calls_between(starts[0], starts[0] + 1) if r.call_id == call_id]
        base = found[0] if found else None
        if base is not None and base.resolution:
            return False
        stamp = int(now * 1000)
        if base is None:  # alert without a record (an older version of the bot): edit the alerts only
            base = CallRecord(call_id, starts[0], "in", "", "", "", verdict="missed")
        done = dataclasses.replace(base, resolution="done", resolved_by=who, resolved_ms=stamp)
        await self._apply(done, now)
        return True

    async def _load(self, now_ms: int) -> None:
        if self._open is None:
            self._open = {}
            for r in await self._store.calls_between(now_ms - self._window_ms, 2**62):
                self._remember(r)

    def _remember(self, r: CallRecord) -> None:
        """Keep ``r`` in the index while it may still change (open, or called back and talking)."""
        if self._open is None:
            return
        self._latest_ms = max(self._latest_ms, r.start_ms)
        calls = self._open.setdefault(r.number_key, {})
        if r.missed and r.number_key and r.direction != "internal" and r.resolution in ("", "callback"):
            calls[r.call_id] = r
            self._open_tails.add(number_tail(r.caller))
        else:
            calls.pop(r.call_id, None)
        if not calls:
            del self._open[r.number_key]
        self._since_sweep += 1
        if self._since_sweep >= max(1000, len(self._open)):  # a sweep walks them all: amortised
            self._sweep(self._latest_ms - self._window_ms)

    def _sweep(self, before_ms: int) -> None:
        """Forget calls that left the window (keeps memory at one window's missed calls)."""
        assert self._open is not None
        self._since_sweep = 0
        for key in list(self._open):
            calls = {cid: r for cid, r in self._open[key].items() if r.start_ms >= before_ms}
            if calls:
                self._open[key] = calls
            else:
                del self._open[key]
        self._open_tails = {number_tail(r.caller) for calls in self._open.values() for r in calls.values()}

    async def _open_missed(self, rec: CallRecord) -> list[CallRecord]:
        calls = (self._open or {}).get(rec.number_key, {})
        oldest = rec.start_ms - self._window_ms
        return sorted(
            (r for r in calls.values() if oldest <= r.start_ms <= rec.start_ms and r.call_id != rec.call_id),
            key=lambda r: r.start_ms,
        )

    def _follow(self, missed: CallRecord, rec: CallRecord, card: CallCard) -> CallRecord:
        """``missed`` after call ``rec``: resolved, one more try, or unchanged."""
        at = card.answered_ms or rec.start_ms
        if rec.direction == "in" and rec.verdict == "answered":
            by = rec.answered_by
            return dataclasses.replace(missed, resolution="again", resolved_by=by,
                                       resolved_name=self._names(by), resolved_ms=at)
        ext = calling_extension(card)
        if rec.verdict == "answered":
            return dataclasses.replace(missed, resolution="callback", resolved_by=ext,
                                       resolved_name=self._names(ext) if ext else "", resolved_ms=at)
        if not ext or any(e == ext and abs(ms - rec.start_ms) < TRY_MERGE_MS for e, ms in missed.tries):
            return missed
        return dataclasses.replace(missed, tries=(*missed.tries, (ext, rec.start_ms)))

    async def _apply(self, rec: CallRecord, now: float, talk_ms: int = 0) -> int:
        """Store the record's new state and queue an edit of each of its alerts."""
        await self._store.record_call(rec)
        self._remember(rec)
        edits = 0
        for entry in await self._store.missed_alerts(rec.call_id):
            if not isinstance(entry.alert, MissedCall):
                continue
            alert = dataclasses.replace(
                entry.alert, resolution=rec.resolution, resolved_by=rec.resolved_by,
                resolved_name=rec.resolved_name, resolved_ms=rec.resolved_ms,
                talk_ms=talk_ms, tries=rec.tries,
            )  # fmt: skip
            if alert != entry.alert:
                await self._store.upsert_card(entry.dedup_key, entry.chat, alert, now)
                edits += 1
        logger.info("missed call %s: %s, %d alert(s) to edit", rec.call_id, rec.resolution or "tried", edits)
        return edits
