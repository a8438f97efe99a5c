"""Durable state behind the core's ``Store`` port: an in-memory store (tests, console mode)
and a SQLite store (production), both passing the same contract tests.

sqlite-utils imports numpy (and pandas) at import time when they are installed, only to convert
their values on insert, which this project never does; numpy is installed here as matplotlib's
dependency (report charts), and importing it would add about 10 MB to every bot at rest. So
sqlite-utils is imported once here with numpy hidden from it; matplotlib still imports numpy for
real when a report is first drawn (``tests/storage/test_no_numpy.py``, ``make bench`` memory).
"""

import sys as _sys


def _import_sqlite_utils_without_numpy() -> None:
    hidden = [name for name in ("numpy", "pandas") if name not in _sys.modules]
    for name in hidden:
        _sys.modules[name] = None  # type: ignore[assignment]  # "import numpy" raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            del _sys.modules[name]


_import_sqlite_utils_without_numpy()
