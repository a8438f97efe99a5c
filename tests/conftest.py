"""Shared fixtures. Node-based tests need Node 20 and ``tests/node/node_modules`` (``make node``):
missing, they fail under ``CI=true`` and skip loudly otherwise."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).parent / "node"


def _node_problem() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (Node 20 is needed for the Socket.IO 0.9 conformance tests)"
    for pkg in ("socket.io", "socket.io-client"):
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
