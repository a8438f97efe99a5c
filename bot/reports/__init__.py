"""Reports: numbers of a period's calls, the calls-per-hour chart's data, the daily schedule."""

from bot.reports.build import Reporter, chart_of
from bot.reports.numbers import ExtensionRow, ReportNumbers, compute
from bot.reports.period import PERIODS, Period, period, zone
from bot.reports.schedule import ReportScheduler, report_key, scope_of, today_passed

__all__ = [
    "PERIODS", "ExtensionRow", "Period", "ReportNumbers", "ReportScheduler", "Reporter", "chart_of",
    "compute", "period", "report_key", "scope_of", "today_passed", "zone",
]
