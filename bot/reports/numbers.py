"""The numbers of a report, computed from call records (pure).

Strategy: one pass over the period's records: inbound calls, answered, missed, resolved vs
unresolved, answer rate, median and longest wait before an answer, the busiest local hour, and a
per-extension table; plus calls per local hour of day (answered and missed) for the chart.
Where the issue is silent: "inbound" counts external incoming calls (not internal ones); a week's
chart sums each hour of the day over its days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from bot.domain import CallRecord
from bot.reports.period import Period, zone


@dataclass(frozen=True, slots=True)
class ExtensionRow:
    ext: str
    rang: int = 0
    answered: int = 0
    missed: int = 0


@dataclass(frozen=True, slots=True)
class ReportNumbers:
    period: Period
    inbound: int
    answered: int
    missed: int
    resolved: int
    unresolved: int
    answer_rate: float  # answered / inbound (0.0 without calls)
    median_wait_s: float | None
    longest_wait_s: float | None
    busiest_hour: int | None  # local hour of day with the most inbound calls (earliest on a tie)
    extensions: tuple[ExtensionRow, ...]
    answered_by_hour: tuple[int, ...]  # 24 values, local hour of day
    missed_by_hour: tuple[int, ...]


def compute(records: list[CallRecord], period: Period) -> ReportNumbers:
    """The report of ``records`` that started within ``period`` (others are ignored)."""
    tz = zone(period.tz)
    inbound = [r for r in records if r.direction == "in" and period.start_ms <= r.start_ms < period.end_ms]
    answered = [r for r in inbound if r.verdict == "answered"]
    missed = [r for r in inbound if r.missed]
    resolved = sum(1 for r in missed if r.resolution)
    waits = [r.ring_s for r in answered]
    by_hour_a, by_hour_m = [0] * 24, [0] * 24
    for r in inbound:
        hour = datetime.fromtimestamp(r.start_ms / 1000, tz).hour
        if r.missed:
            by_hour_m[hour] += 1
        elif r.verdict == "answered":
            by_hour_a[hour] += 1
    totals = [a + m for a, m in zip(by_hour_a, by_hour_m, strict=True)]
    peak = max(totals)
    busiest = totals.index(peak) if peak > 0 else None
    return ReportNumbers(
        period=period, inbound=len(inbound), answered=len(answered), missed=len(missed),
        resolved=resolved, unresolved=len(missed) - resolved,
        answer_rate=len(answered) / len(inbound) if inbound else 0.0,
        median_wait_s=median(waits) if waits else None, longest_wait_s=max(waits) if waits else None,
        busiest_hour=busiest, extensions=_per_extension(inbound),
        answered_by_hour=tuple(by_hour_a), missed_by_hour=tuple(by_hour_m),
    )  # fmt: skip


def _per_extension(inbound: list[CallRecord]) -> tuple[ExtensionRow, ...]:
    rows: dict[str, list[int]] = {}
    for r in inbound:
        for ext in dict.fromkeys(r.extensions):
            row = rows.setdefault(ext, [0, 0, 0])
            row[0] += 1
            row[2] += r.missed
        if r.verdict == "answered" and r.answered_by:
            rows.setdefault(r.answered_by, [0, 0, 0])[1] += 1
    ordered = sorted(rows.items(), key=lambda kv: (-kv[1][0], len(kv[0]), kv[0]))
    return tuple(ExtensionRow(ext, *counts) for ext, counts in ordered)
