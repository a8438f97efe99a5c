"""``MatplotlibCharts``: the core's :class:`bot.ports.ChartDrawer` with matplotlib's Agg canvas.

Strategy: matplotlib is imported inside :func:`render_png`, so an idle bot never loads it; the
figure is built with the object API (``Figure`` + ``FigureCanvasAgg``, no pyplot and no global
state), which is safe in a worker thread; ``draw`` runs it there so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import io

from bot.domain import HourlyChart
from bot.errors import BotError

ANSWERED_COLOUR = "#2e7d32"  # green
MISSED_COLOUR = "#c62828"  # red
SIZE_PX = (800, 400)
DPI = 100


class ChartError(BotError):
    """The plotting library failed to draw a chart."""


def render_png(chart: HourlyChart) -> bytes:
    """The chart as PNG bytes, ``SIZE_PX`` pixels: answered bars with missed stacked on top."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(SIZE_PX[0] / DPI, SIZE_PX[1] / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = list(range(len(chart.labels)))
    ax.bar(x, chart.answered, color=ANSWERED_COLOUR, label=chart.answered_label, width=0.8)
    ax.bar(x, chart.missed, bottom=chart.answered, color=MISSED_COLOUR, label=chart.missed_label, width=0.8)
    ax.set_xticks(x, chart.labels, fontsize=8)
    ax.set_title(chart.title)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


class MatplotlibCharts:
    """Implements :class:`bot.ports.ChartDrawer`; ``drawn`` counts charts for tests and metrics."""

    def __init__(self) -> None:
        self.drawn = 0

    async def draw(self, chart: HourlyChart) -> bytes:
        if not (len(chart.labels) == len(chart.answered) == len(chart.missed)):
            raise ChartError("chart series and labels differ in length")
        try:
            png = await asyncio.to_thread(render_png, chart)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ChartError(f"chart not drawn: {type(exc).__name__}: {exc}") from exc
        self.drawn += 1
        return png
