"""The store under test: every contract test runs against each implementation (the PostgreSQL
one on the session's throwaway server, tests/pg.py, in a fresh database per test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ports import Store
from storage.memory import MemoryStore

KINDS = ["memory", "sqlite", "postgres"]


async def open_store(kind: str, path: Path, request: pytest.FixtureRequest | None = None) -> Store:
    if kind == "memory":
        return MemoryStore()
    if kind == "postgres":
        assert request is not None, "the postgres store needs the pg_dsn fixture"
        from storage.postgres import PostgresStore

        return await PostgresStore.open(request.getfixturevalue("pg_dsn"))
    from storage.sqlite import SqliteStore

    return await SqliteStore.open(str(path / "bot.db"))


@pytest.fixture(params=KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    s = await open_store(request.param, tmp_path, request)
    try:
        yield s
    finally:
        await s.close()
