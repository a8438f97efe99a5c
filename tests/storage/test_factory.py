"""``BOT_DB`` picks the store: a file path is SQLite (as before), a ``postgresql://`` URL is
PostgreSQL; a bot on SQLite never loads the PostgreSQL driver (memory at rest)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import StorageError
from storage.factory import open_store
from storage.postgres import Lease, LeaseTiming, PostgresStore
from storage.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)


async def test_a_path_opens_sqlite_and_a_url_opens_postgresql(tmp_path: Path, pg_dsn: str) -> None:
    lite = await open_store(str(tmp_path / "bot.db"))
    pg = await open_store(pg_dsn)
    try:
        assert isinstance(lite, SqliteStore) and isinstance(pg, PostgresStore)
        await pg.set_setting("k", "v")
        assert await pg.get_setting("k") == "v" and await lite.get_setting("k") is None
    finally:
        await lite.close()
        await pg.close()


async def test_a_fence_needs_postgresql(tmp_path: Path, pg_dsn: str) -> None:
    lease = Lease(pg_dsn, LeaseTiming.for_failover(10.0))
    try:
        with pytest.raises(StorageError, match="SQLite store has no lease"):
            await open_store(str(tmp_path / "bot.db"), fence=lease)
        fenced = await open_store(pg_dsn, fence=lease)
        with pytest.raises(StorageError, match="does not hold"):
            await fenced.set_setting("k", "v")
        await fenced.close()
    finally:
        await lease.close()


def test_a_bot_on_sqlite_never_imports_the_postgresql_driver(tmp_path: Path) -> None:
    code = (
        "import asyncio, json, sys\n"
        "import bot.cli.app, bot.cli.main\n"
        "from storage.factory import open_store\n"
        "async def main():\n"
        f"    store = await open_store({str(tmp_path / 'bot.db')!r})\n"
        "    await store.set_setting('k', 'v')\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'asyncpg'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
