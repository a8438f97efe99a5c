"""The core (``bot/``) stays free of platform libraries and of the adapters/storage packages.

Strategy: parse every ``bot/**/*.py`` with ``ast`` and check each import's top-level package (only
``bot/cli/``, the one composition root, is exempt); check that a room of ``bot/`` (a subpackage)
imports another room only through the names that room's ``__init__.py`` exports; then import the
core's busiest modules in a fresh interpreter and check ``sys.modules`` for the forbidden packages.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = frozenset(
    {"aiogram", "slack_bolt", "slack_sdk", "sqlite_utils", "aiohttp", "adapters", "storage", "matplotlib"}
)
ROOMS = ("tracking", "alerts", "delivery", "commands", "history", "reports", "cli")


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


ALL_BOT_FILES = sorted((ROOT / "bot").rglob("*.py"))
CORE_FILES = [p for p in ALL_BOT_FILES if "cli" not in p.relative_to(ROOT / "bot").parts[:1]]


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", CORE_FILES, ids=_rel)
def test_core_module_imports_no_platform_code(path: Path) -> None:
    bad = imported_roots(path.read_text(encoding="utf-8")) & FORBIDDEN
    assert not bad, f"{_rel(path)} imports {sorted(bad)}"


def test_core_files_were_found() -> None:
    names = {_rel(p) for p in CORE_FILES}
    assert len(CORE_FILES) > 30 and "bot/commands/service.py" in names and "bot/tracking/calls.py" in names
    assert not any(n.startswith("bot/cli/") for n in names)


def room_of(path: Path) -> str | None:
    parts = path.relative_to(ROOT / "bot").parts
    return parts[0] if len(parts) > 1 else None


def cross_room_violations(source: str, own: str | None) -> list[str]:
    """Imports of another room's inner module (``bot.ROOM.module``) or of a name its face lacks."""
    bad: list[str] = []
    for node in ast.walk(ast.parse(source)):
        mods: list[tuple[str, list[str]]] = []
        if isinstance(node, ast.Import):
            mods = [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [(node.module, [a.name for a in node.names])]
        for mod, names in mods:
            parts = mod.split(".")
            if parts[0] != "bot" or len(parts) < 2 or parts[1] not in ROOMS or parts[1] == own:
                continue
            if len(parts) > 2:
                bad.append(f"{mod} (import from bot.{parts[1]} instead)")
                continue
            face = importlib.import_module(mod)
            bad += [f"{mod}.{n} (not in __all__)" for n in names if n not in getattr(face, "__all__", ())]
    return bad


def test_cross_room_checker_catches_inner_imports() -> None:
    assert cross_room_violations("from bot.tracking.calls import CallTracker\n", "alerts")
    assert cross_room_violations("from bot.tracking import TrackedCall\n", "alerts")
    assert not cross_room_violations("from bot.tracking import CallTracker\n", "alerts")
    assert not cross_room_violations("from bot.tracking.calls import CallTracker\n", "tracking")


@pytest.mark.parametrize("path", ALL_BOT_FILES, ids=_rel)
def test_rooms_use_each_other_through_their_face(path: Path) -> None:
    bad = cross_room_violations(path.read_text(encoding="utf-8"), room_of(path))
    assert not bad, f"{_rel(path)}: {bad}"


@pytest.mark.timeout(60)
def test_importing_the_core_loads_no_platform_modules() -> None:
    code = (
        "import json, sys\n"
        "import bot.commands, bot.alerts, bot.delivery, bot.tracking\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "bot" in loaded
    assert not loaded & FORBIDDEN, sorted(loaded & FORBIDDEN)
