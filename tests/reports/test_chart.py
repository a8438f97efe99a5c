"""The chart PNG decoded: its size, and bars of the right colours in the right proportions; and
matplotlib stays unloaded in an idle bot until a chart is drawn."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import pytest

from adapters.charts import MatplotlibCharts
from adapters.charts.mpl import ANSWERED_COLOUR, MISSED_COLOUR, SIZE_PX, ChartError
from bot.domain import HourlyChart
from bot.reports import chart_of, compute, period
from tests.reports.fixture import DAY_END, RECORDS


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def decode(png: bytes):  # type: ignore[no-untyped-def]
    from matplotlib.image import imread

    return (imread(io.BytesIO(png), format="png")[:, :, :3] * 255).round().astype(int)


def columns_of(pixels, colour: tuple[int, int, int]) -> tuple[int, set[int]]:  # type: ignore[no-untyped-def]
    """How many pixels have exactly ``colour``, and in which x columns."""
    mask = (abs(pixels - colour) <= 1).all(axis=2)
    return int(mask.sum()), set(mask.any(axis=0).nonzero()[0].tolist())


async def test_png_has_the_size_and_stacked_bars_of_the_numbers() -> None:
    n = compute(RECORDS, period("today", "Europe/Moscow", DAY_END))
    png = await MatplotlibCharts().draw(chart_of(n, "en"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = decode(png)
    assert pixels.shape == (SIZE_PX[1], SIZE_PX[0], 3)
    green, green_x = columns_of(pixels, rgb(ANSWERED_COLOUR))
    red, red_x = columns_of(pixels, rgb(MISSED_COLOUR))
    # 4 answered and 3 missed calls, one unit of bar height each (the legend adds two small patches)
    assert green > 0 and red > 0 and 1.0 < green / red < 1.8
    # hour 13 has a missed call only: some red columns have no green in them
    assert red_x - green_x


async def test_an_hour_with_only_answered_calls_draws_no_red() -> None:
    chart = HourlyChart("t", ("09", "10"), (3, 0), (0, 0))
    pixels = decode(await MatplotlibCharts().draw(chart))
    red, _ = columns_of(pixels, rgb(MISSED_COLOUR))
    green, _ = columns_of(pixels, rgb(ANSWERED_COLOUR))
    assert green > 10_000 and red < 500  # red only in the legend's small patch (280 px)


async def test_mismatched_series_are_refused() -> None:
    with pytest.raises(ChartError):
        await MatplotlibCharts().draw(HourlyChart("t", ("09",), (1, 2), (0,)))


def test_idle_bot_does_not_import_matplotlib_until_a_report_is_drawn() -> None:
    code = textwrap.dedent(
        """
        import asyncio, sys
        from bot.cli.app import Application
        from bot.config import Settings
        from storage.memory import MemoryStore
        from adapters.charts import MatplotlibCharts
        from bot.domain import HourlyChart
        app = Application(Settings(_env_file=None, onpbx_domain="x.onpbx.ru", onpbx_key="k"), MemoryStore(),
                          chat_adapters=False)
        before = "matplotlib" in sys.modules
        asyncio.run(MatplotlibCharts().draw(HourlyChart("t", ("1",), (1,), (0,))))
        print(before, "matplotlib" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"], out.stderr
