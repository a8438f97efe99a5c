"""One report, end to end: gather the period's calls, compute the numbers, draw the chart."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.domain import HourlyChart, OutMessage, Span
from bot.errors import BotError
from bot.i18n import t
from bot.ports import CallHistory, ChartDrawer, Store
from bot.reports.numbers import ReportNumbers, compute
from bot.reports.period import Period
from bot.reports.source import gather
from bot.reports.text import caption

logger = logging.getLogger(__name__)


def chart_of(n: ReportNumbers, lang: str) -> HourlyChart:
    return HourlyChart(
        title=t(lang, "report.chart", label=n.period.label),
        labels=tuple(f"{h:02d}" for h in range(24)),
        answered=n.answered_by_hour,
        missed=n.missed_by_hour,
        answered_label=t(lang, "report.answered_series"),
        missed_label=t(lang, "report.missed_series"),
    )


@dataclass
class Reporter:
    """Builds report messages; ``history`` and ``charts`` are optional (no chart: text only)."""

    store: Store
    country: str = "RU"
    history: CallHistory | None = None
    charts: ChartDrawer | None = None

    async def numbers(self, period: Period, scope: frozenset[str] | None = None) -> ReportNumbers:
        """``scope``: only calls that rang (or were answered by) these extensions; None: all."""
        records = await gather(self.store, self.history, period, self.country)
        if scope is not None:
            records = [r for r in records if scope & {*r.extensions, r.answered_by}]
        return compute(records, period)

    async def message(self, period: Period, lang: str, scope: frozenset[str] | None = None) -> OutMessage:
        """The report as a message: the numbers as text, the chart as its photo."""
        n = await self.numbers(period, scope)
        photo = None
        if self.charts is not None:
            try:
                photo = await self.charts.draw(chart_of(n, lang))
            except BotError as exc:
                logger.error("report chart not drawn, sending the numbers alone: %s", exc)
        return OutMessage((Span(caption(n, lang)),), photo=photo)
