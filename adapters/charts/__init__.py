"""Chart drawing for reports (matplotlib, Agg, imported only when the first chart is drawn)."""

from adapters.charts.mpl import MatplotlibCharts, render_png

__all__ = ["MatplotlibCharts", "render_png"]
