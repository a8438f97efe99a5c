"""The call history settles every gap: a pure decision over history records and live verdicts.

Strategy: match each history record to what the bot saw live, then decide per record (below);
no I/O here, so the runner (:mod:`.settler`) only fetches, applies and records the watermark.

**Matching rule.** A record is the live call whose ``call_id`` (or PBX id) equals the record's
``uuid``. Failing that (live legs with other uuids), it is the live call with the same caller
(``bot.phone.number_key``, never a hidden caller), a start within ``MATCH_WINDOW_S`` seconds and
the same destination (what was dialled); the nearest start wins.

**Decisions.** History ``missed`` means inbound with ``user_talk_time == 0``.
- no live match, missed: one alert marked ``backfill`` (the gap's reason); when it started more
  than ``max_age_s`` before now it goes into the chat's digest instead. A call the bot alerted
  before a restart has the same uuid, so the outbox dedup key ``missed:{uuid}:{chat}`` stops a
  second alert even though the ledger forgot it.
- live verdict uncertain: missed -> its alert, once (under the live call id); an uncertain alert
  that already went is rewritten in place without the doubt. Answered -> an uncertain alert that
  went is rewritten in place to say "answered"; none went: nothing.
- live verdict missed or answered (certain): nothing — exactly once across live and backfill.
- no live match, answered or not inbound: nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from bot.domain import HistoryRecord, MissedCall
from bot.history.ledger import LiveCall, Verdict
from bot.phone import number_key, number_tail

MATCH_WINDOW_S = 5.0


@dataclass(frozen=True, slots=True)
class Settlement:
    """What to queue: ``alerts`` one each, ``answered`` updates of uncertain alerts, ``digest``
    (older than the cut-off) one message per chat."""

    alerts: tuple[MissedCall, ...] = ()
    answered: tuple[MissedCall, ...] = ()
    digest: tuple[MissedCall, ...] = ()
    matched: int = 0
    #: uncertain live calls the history decided: (call id, "missed" | "answered")
    settled: tuple[tuple[str, Verdict], ...] = ()
    #: posted uncertain alerts the history confirmed missed: rewritten in place, no longer uncertain
    confirmed: tuple[MissedCall, ...] = ()


def missed_from(record: HistoryRecord, backfill: str) -> MissedCall:
    """The missed-call alert of a history record."""
    return MissedCall(
        call_id=record.uuid, caller_number=record.caller_number, caller_name=record.caller_name,
        extensions=record.extensions or ((record.destination,) if record.destination else ()),
        destination=record.destination, gate=record.gateway, started_ms=record.start_s * 1000,
        ended_ms=max(record.end_s, record.start_s) * 1000, hangup_cause="",  # the history's cause
        # does not separate answered from missed (NORMAL_CLEARING ends both): not shown
        backfill=backfill, pbx_id=record.uuid,
    )  # fmt: skip


class _Index:
    def __init__(self, live: list[LiveCall]) -> None:
        self.by_id: dict[str, LiveCall] = {}
        self.by_tail: dict[str, list[LiveCall]] = defaultdict(list)  # cheap bucket, exact key later
        for call in live:
            self.by_id[call.call_id] = call
            if call.pbx_id:
                self.by_id.setdefault(call.pbx_id, call)
            tail = number_tail(call.caller)
            if tail:
                self.by_tail[tail].append(call)

    def match(self, record: HistoryRecord, country: str) -> LiveCall | None:
        exact = self.by_id.get(record.uuid)
        if exact is not None:
            return exact
        key = number_key(record.caller_number, country)
        near = [
            c
            for c in self.by_tail.get(number_tail(record.caller_number), [])
            if key
            and c.destination == record.destination
            and abs(c.start_s - record.start_s) <= MATCH_WINDOW_S
            and number_key(c.caller, country) == key
        ]
        return min(near, key=lambda c: abs(c.start_s - record.start_s), default=None)


def settle(
    records: list[HistoryRecord],
    live: list[LiveCall],
    *,
    backfill: str,
    now_s: float,
    max_age_s: float,
    country: str = "RU",
) -> Settlement:
    """Decide every record (see the module docstring); ``backfill``: "offline" or "link_down"."""
    index = _Index(live)
    alerts: list[MissedCall] = []
    answered: list[MissedCall] = []
    digest: list[MissedCall] = []
    settled: list[tuple[str, Verdict]] = []
    confirmed: list[MissedCall] = []
    matched = 0
    for record in records:
        call = index.match(record, country)
        matched += call is not None
        if call is None:
            if record.missed:
                old = now_s - record.start_s > max_age_s
                (digest if old else alerts).append(missed_from(record, backfill))
            continue
        if call.verdict == "uncertain":
            settled.append((call.call_id, "missed" if record.missed else "answered"))
        if call.verdict == "uncertain" and record.missed and call.alerted and call.missed is not None:
            confirmed.append(replace(call.missed, uncertain=False, pbx_id=record.uuid))
        elif call.verdict == "uncertain" and record.missed:
            base = call.missed or missed_from(record, backfill)
            alerts.append(
                replace(base, call_id=call.call_id, uncertain=False, backfill=backfill, pbx_id=record.uuid)
            )
        elif call.verdict == "uncertain" and call.alerted and call.missed is not None:
            answered.append(replace(call.missed, uncertain=False, backfill="answered", pbx_id=record.uuid))
    return Settlement(
        tuple(alerts), tuple(answered), tuple(digest), matched, tuple(settled), tuple(confirmed)
    )
