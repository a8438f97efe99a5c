"""The store under test: every contract test runs against each implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ports import Store
from storage.memory import MemoryStore

KINDS = ["memory", "sqlite"]


async def open_store(kind: str, path: Path) -> Store:
    if kind == "memory":
        return MemoryStore()
    from storage.sqlite import SqliteStore

    return await SqliteStore.open(str(path / "bot.db"))


@pytest.fixture(params=KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    s = await open_store(request.param, tmp_path)
    try:
        yield s
    finally:
        await s.close()
