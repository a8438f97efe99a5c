"""Where a report's calls come from: the PBX's call history when it is available (the authority
on what happened), with the bot's own records filling in what the history lacks.

Strategy: every history record becomes a :class:`CallRecord`; the bot's record of the same call
(same id, or same direction and number within ``MATCH_MS``) lends its resolution, and its
extensions and answering extension when the history has none; the bot's records the history does
not have are kept. Without a history, or when it fails, the bot's own records are used alone.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict

from bot.domain import CallRecord, HistoryRecord
from bot.errors import BotError
from bot.phone import number_key
from bot.ports import CallHistory, Store
from bot.reports.period import Period

logger = logging.getLogger(__name__)

MATCH_MS = 5_000
_DIRECTIONS = {"inbound": "in", "outbound": "out", "local": "internal"}


def from_history(h: HistoryRecord, country: str) -> CallRecord:
    direction = _DIRECTIONS.get(h.direction, h.direction)
    far = h.caller_number if direction == "in" else h.destination
    verdict = "missed" if h.missed else "answered" if h.talk_s > 0 else "unanswered"
    return CallRecord(
        call_id=h.uuid, start_ms=h.start_s * 1000, direction=direction, caller=h.caller_number,
        callee=h.destination, number_key=number_key(far, country), extensions=h.extensions,
        answered_by=h.answered_by, verdict=verdict,
        ring_s=float(max(0, h.duration_s - h.talk_s)), talk_s=float(h.talk_s),
    )  # fmt: skip


def _far(r: CallRecord) -> str:
    return r.caller if r.direction == "in" else r.callee


def merge(history: list[HistoryRecord], own: list[CallRecord], country: str) -> list[CallRecord]:
    """History first; see the module docstring. Oldest first. The bot's record of a history call
    has the same id, or the same direction and number (``number_key``, worked out here for rows
    stored without it) and a start within ``MATCH_MS``; both are looked up in an index."""
    by_id = {o.call_id: o for o in own}
    by_number: dict[tuple[str, str], list[CallRecord]] = defaultdict(list)
    for o in own:
        by_number[(o.direction, o.number_key or number_key(_far(o), country))].append(o)
    used: set[str] = set()
    out: list[CallRecord] = []
    for h in history:
        rec = from_history(h, country)
        match = by_id.get(rec.call_id)
        if match is None or match.call_id in used:
            match = next((o for o in by_number.get((rec.direction, rec.number_key), ())
                          if o.call_id not in used and abs(o.start_ms - rec.start_ms) <= MATCH_MS), None)
        if match is not None:
            used.add(match.call_id)
            rec = dataclasses.replace(
                rec, resolution=match.resolution, resolved_by=match.resolved_by,
                resolved_name=match.resolved_name, resolved_ms=match.resolved_ms, tries=match.tries,
                extensions=rec.extensions or match.extensions,
                answered_by=rec.answered_by or match.answered_by,
            )  # fmt: skip
        out.append(rec)
    left = [o for o in own if o.call_id not in used]
    return sorted(out + left, key=lambda r: (r.start_ms, r.call_id))


async def gather(store: Store, history: CallHistory | None, period: Period, country: str) -> list[CallRecord]:
    """The period's calls (see module docstring)."""
    own = await store.calls_between(period.start_ms, period.end_ms)
    if history is None:
        return own
    try:
        found = await history.search(period.start_ms // 1000, period.end_ms // 1000 + 1)
    except BotError as exc:
        logger.warning("call history unavailable for the report, using the bot's own records: %s", exc)
        return own
    inside = [h for h in found if period.start_ms <= h.start_s * 1000 < period.end_ms]
    return merge(inside, own, country)
