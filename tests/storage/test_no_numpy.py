"""The bot at rest does not load numpy (sqlite-utils would, for nothing); a report chart still can."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(60)
def test_the_store_and_app_load_no_numpy_until_a_chart_is_drawn() -> None:
    code = (
        "import json, sys\n"
        "import storage.sqlite, bot.cli.app\n"
        "before = 'numpy' in sys.modules\n"
        "import sqlite_utils.db\n"
        "hidden = sqlite_utils.db.np is None\n"
        "import numpy\n"
        "print(json.dumps([before, hidden, numpy.zeros(2).tolist()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [False, True, [0.0, 0.0]]
