"""The startup heap is frozen out of the cyclic collector once per process (#14)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])

CHILD = """
import gc
from bot.cli.app import freeze_startup_heap
assert gc.get_freeze_count() == 0
freeze_startup_heap()
first = gc.get_freeze_count()
garbage = [[] for _ in range(1000)]
freeze_startup_heap()  # a second start in the same process freezes nothing more
print(first > 1000, gc.get_freeze_count() == first)
"""


def test_the_first_start_freezes_the_heap_and_later_starts_do_not() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.split() == ["True", "True"]
