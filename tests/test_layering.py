"""The core (``bot/``) stays free of platform libraries and of the adapters/storage packages.

Strategy: parse every ``bot/*.py`` with ``ast`` and check each import's top-level package (only
``bot/app.py`` and ``bot/cli.py``, the composition root, are exempt); then import the core's busiest
modules in a fresh interpreter and check ``sys.modules`` for the forbidden packages.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = frozenset(
    {"aiogram", "slack_bolt", "slack_sdk", "sqlite_utils", "aiohttp", "adapters", "storage"}
)
EXEMPT = frozenset({"app.py", "cli.py"})


def imported_roots(source: str) -> set[str]:
    """Top-level packages a module imports (absolute imports only; relative ones stay in bot)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_checker_sees_every_import_form() -> None:
    src = "import aiohttp.web\nfrom adapters.pbx import client\nif True:\n    from storage import sqlite\n"
    assert imported_roots(src) >= {"aiohttp", "adapters", "storage"}
    assert imported_roots("from . import domain\nfrom bot.domain import ChatRef\n") == {"bot"}


CORE_FILES = sorted(p for p in (ROOT / "bot").glob("*.py") if p.name not in EXEMPT)


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.name)
def test_core_module_imports_no_platform_code(path: Path) -> None:
    bad = imported_roots(path.read_text(encoding="utf-8")) & FORBIDDEN
    assert not bad, f"bot/{path.name} imports {sorted(bad)}"


def test_core_files_were_found() -> None:
    assert len(CORE_FILES) > 10 and any(p.name == "commands.py" for p in CORE_FILES)


@pytest.mark.timeout(60)
def test_importing_the_core_loads_no_platform_modules() -> None:
    code = (
        "import json, sys\n"
        "import bot.commands, bot.pipeline, bot.outbox\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "bot" in loaded
    assert not loaded & FORBIDDEN, sorted(loaded & FORBIDDEN)
