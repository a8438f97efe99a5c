"""Shared fixtures. Node-based tests need Node 20 and ``tests/node/node_modules`` (``make node``),
PostgreSQL tests the server binaries of Debian's postgresql-15 (``pg_cluster``, ``pg_dsn``):
missing, they fail under ``CI=true`` and skip loudly otherwise."""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from pathlib import Path

import pytest

from tests.pg import (  # noqa: F401  # the throwaway PostgreSQL server (tests/pg.py)
    pg_cluster,
    pg_database,
    pg_dsn,
    pytest_collection_modifyitems,
)

NODE_DIR = Path(__file__).parent / "node"


def _node_problem() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (Node 20 is needed for the Socket.IO 0.9 conformance tests)"
    for pkg in ("socket.io", "socket.io-client", "ws"):
        if not (NODE_DIR / "node_modules" / pkg / "package.json").exists():
            return f"{pkg} is not installed in tests/node (run `make node`)"
    return None


@pytest.fixture(scope="session")
def node_dir() -> Path:
    """The folder with the real socket.io 0.9 packages; fails under CI, skips loudly elsewhere."""
    problem = _node_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {problem}")
        warnings.warn(f"SKIPPING Node conformance test: {problem}", stacklevel=1)
        pytest.skip(f"LOUD SKIP: {problem}")
    return NODE_DIR


#: nothing listens on port 9 (discard) of loopback: the HTTP API of a test that did not set one
CLOSED_HTTP_URL = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _no_call_history_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """ONPBX_HISTORY defaults to on and ONPBX_HTTP_URL to the real vendor host: keep every test
    hermetic by turning it off, and point the HTTP API (click-to-call fallback, names for /who)
    at a closed loopback port, so no test ever looks up the vendor's host; the history tests
    (tests/history, tests/pbx/http) and the rigs point ONPBX_HTTP_URL at the simulator."""
    monkeypatch.setenv("ONPBX_HISTORY", "off")
    monkeypatch.setenv("ONPBX_HTTP_URL", CLOSED_HTTP_URL)


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    """Tests that run the CLI in-process call ``setup_logging``, which replaces the root handler
    (with one on a captured stream that closes) and quiets SDK loggers: undo that after each
    test so the next one logs and captures as if alone."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {
        name: lg.level
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, lg in logging.root.manager.loggerDict.items():
        if isinstance(lg, logging.Logger):
            lg.setLevel(levels.get(name, logging.NOTSET))
