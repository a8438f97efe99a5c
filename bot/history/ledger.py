"""What the bot decided live about recent calls, so the call history can tell what it missed.

Strategy: the pipeline's router reports every call verdict here (missed, uncertain, or finished
without a missed verdict = "answered"); the ledger is bounded memory, not storage: after a restart
the outbox dedup keys (``missed:{call_id}:{chat}``) stand in for it (see reconcile's docstring).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Literal

from bot.domain import MissedCall
from bot.tracking import CallUpdate

Verdict = Literal["missed", "answered", "uncertain"]


@dataclass(frozen=True, slots=True)
class LiveCall:
    """One call as the bot saw it live. ``alerted``: a missed-call alert was queued for it;
    ``missed``: that alert's content (kept to update an uncertain alert later)."""

    call_id: str
    caller: str  # as the PBX sent it; matched by bot.phone.number_key only when a history pass needs it
    destination: str
    start_s: float
    verdict: Verdict
    alerted: bool = False
    pbx_id: str = ""
    missed: MissedCall | None = None


class LiveLedger:
    """The last ``keep`` calls decided live, by call id (oldest forgotten first).

    A history pass after a reconnect reads from the gap's start minus a few minutes, and an
    uncertain call is looked for up to an hour: 10,000 calls cover more than an hour of a very busy
    domain (about 3 calls a second) at about 3 MB; 50,000 held some 15 MB for nothing."""

    def __init__(self, country: str = "RU", keep: int = 10_000) -> None:
        self._country, self._keep = country, keep
        self._calls: OrderedDict[str, LiveCall] = OrderedDict()

    def observe(self, update: CallUpdate, alerted: bool) -> LiveCall | None:
        """Record the verdict an update carries (a missed verdict is never overwritten)."""
        card, missed = update.card, update.missed
        known = self._calls.get(card.call_id)
        if missed is not None:
            verdict: Verdict = "uncertain" if missed.uncertain else "missed"
            caller = missed.caller_number
            was_alerted = alerted or bool(known and known.alerted)
            call = LiveCall(missed.call_id, caller, missed.destination, missed.started_ms / 1000, verdict,
                            was_alerted, missed.pbx_id, missed)  # fmt: skip
        elif update.finished and known is None:
            call = LiveCall(card.call_id, card.caller_number, card.callee,
                            card.started_ms / 1000, "answered")  # fmt: skip
        else:
            return None
        self._calls[call.call_id] = call
        self._calls.move_to_end(call.call_id)
        while len(self._calls) > self._keep:
            self._calls.popitem(last=False)
        return call

    def add(self, call: LiveCall) -> None:
        """Record a call directly (tests, restored state)."""
        self._calls[call.call_id] = call

    def resolve(self, call_id: str, verdict: Verdict) -> None:
        """The history decided an uncertain call: keep its verdict (so it is not settled twice)."""
        call = self._calls.get(call_id)
        if call is not None:
            self._calls[call_id] = replace(call, verdict=verdict)

    def uncertain_since(self, since_s: float) -> list[LiveCall]:
        """Uncertain calls that started after ``since_s`` (still waiting for the history)."""
        return [c for c in self._calls.values() if c.verdict == "uncertain" and c.start_s >= since_s]

    def calls(self) -> list[LiveCall]:
        return list(self._calls.values())
