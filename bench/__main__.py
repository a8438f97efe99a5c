"""``make bench``: runs every ``bench/b_*.py`` module's ``run()`` and prints its numbers.

Each module measures its own baseline in the same process and reports ratios against it, so the
numbers compare across machines; nothing here is a timed assertion.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    only = set(argv)
    folder = str(Path(__file__).parent)
    names = sorted(m.name for m in pkgutil.iter_modules([folder]) if m.name.startswith("b_"))
    for name in names:
        if only and name not in only and name[2:] not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        start = time.perf_counter()
        result = module.run()
        if inspect.isawaitable(result):
            result = asyncio.run(result)  # type: ignore[arg-type]
        print(f"# {name} ({time.perf_counter() - start:.1f} s)")
        for key, value in result.items():
            print(f"{key} = {value:.4g}" if isinstance(value, float) else f"{key} = {value}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
