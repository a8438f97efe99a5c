"""Reports: numbers of a period's calls, the calls-per-hour chart's data, the daily schedule."""

from bot.reports.period import PERIODS, Period, period, zone

__all__ = ["PERIODS", "Period", "period", "zone"]
