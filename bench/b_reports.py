"""A week's report for a busy PBX (10,000 calls): computing the numbers alone (the baseline)
against the full report (numbers + the calls-per-hour chart drawn with matplotlib), both from a
real SQLite file; and what loading the plotting library costs the idle bot.

``report_ratio_vs_numbers`` = full report time / numbers-only time (median of ``RUNS``); the
first drawn report also pays matplotlib's import, reported apart (``first_report_s``), together
with the process's RSS growth it causes; before it, matplotlib is not in ``sys.modules``.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from adapters.charts import MatplotlibCharts
from bot.domain import CallRecord
from bot.reports import Reporter, period
from storage.sqlite import SqliteStore

CALLS = int(os.environ.get("BENCH_REPORT_CALLS", "10000"))
RUNS = 5
NOW = 1_700_049_600.0  # 2023-11-15 12:00 UTC


def _rss_kb() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _records(rng: random.Random) -> list[CallRecord]:
    out = []
    for i in range(CALLS):
        start = int((NOW - rng.uniform(0, 6.9 * 86400)) * 1000)
        exts = tuple(str(e) for e in rng.sample(range(200, 240), 2))
        kind = rng.random()
        verdict = "answered" if kind < 0.7 else "missed"
        number = f"79{rng.randrange(10**9):09d}"
        out.append(CallRecord(
            f"c{i}", start, "in" if kind < 0.95 else "out", number, "500", "+" + number, exts,
            answered_by=exts[0] if verdict == "answered" else "", verdict=verdict,
            ring_s=rng.uniform(1, 40), talk_s=rng.uniform(5, 300) if verdict == "answered" else 0.0,
            resolution="callback" if verdict == "missed" and rng.random() < 0.5 else "",
        ))  # fmt: skip
    return out


async def _median(runs: int, make: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await make()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        store = await SqliteStore.open(str(Path(tmp) / "bench.sqlite3"))
        try:
            for rec in _records(random.Random(13)):
                await store.record_call(rec)
            week = period("week", "Europe/Moscow", NOW)
            plain = Reporter(store)
            drawn = Reporter(store, charts=MatplotlibCharts())
            numbers_s = await _median(RUNS, lambda: plain.numbers(week))
            idle_loaded = "matplotlib" in sys.modules
            rss_before = _rss_kb()
            start = time.perf_counter()
            first = await drawn.message(week, "en")
            first_s = time.perf_counter() - start
            rss_after = _rss_kb()
            report_s = await _median(RUNS, lambda: drawn.message(week, "en"))
        finally:
            await store.close()
    return {
        "calls": CALLS,
        "numbers_only_s": numbers_s,
        "full_report_s": report_s,
        "report_ratio_vs_numbers": report_s / numbers_s,
        "first_report_s (imports matplotlib)": first_s,
        "matplotlib_loaded_before_first_report": idle_loaded,
        "rss_growth_first_report_mb": (rss_after - rss_before) / 1024,
        "png_bytes": len(first.photo or b""),
    }


if __name__ == "__main__":
    print(asyncio.run(run()))
