"""What only the PostgreSQL store has: its versioned schema (recorded, applied once by two bots
starting together, mirroring SQLite's, refused when newer), connections that come back after
the server killed them, and a password that no error or log line ever shows."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import traceback
from pathlib import Path

import psycopg
import pytest
from sqlite_utils import Database

from bot.config import Settings
from bot.errors import StorageError
from bot.logsetup import Redactor
from storage import migrations as sqlite_migrations
from storage.postgres import PostgresStore, SchemaTooNew
from storage.postgres.schema import MIGRATIONS
from storage.sqlite import SqliteStore
from tests.pg import PgCluster
from tests.storage.samples import TG

pytestmark = pytest.mark.timeout(30)

#: columns only one store has: PostgreSQL orders people by a sequence where SQLite has rowid
PG_ONLY = {"people": {"seen"}, "leases": None, "schema_version": None}
SQLITE_ONLY = {"_sqlite_migrations": None, "sqlite_sequence": None}


async def sql(dsn: str, statement: str) -> list[tuple[object, ...]]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cur = await conn.execute(statement)  # type: ignore[arg-type]
        return await cur.fetchall() if cur.description else []


async def test_every_step_is_recorded_once_and_a_reopen_applies_none(pg_dsn: str) -> None:
    first, second = await asyncio.gather(PostgresStore.open(pg_dsn), PostgresStore.open(pg_dsn))
    await first.close()
    await second.close()  # two bots starting at once on a new database: one migrates, one waits
    again = await PostgresStore.open(pg_dsn)
    await again.close()
    rows = await sql(pg_dsn, "SELECT version, name FROM schema_version ORDER BY version")
    assert rows == [(i, m.name) for i, m in enumerate(MIGRATIONS, start=1)]


async def test_a_database_migrated_by_a_newer_bot_is_refused(pg_dsn: str) -> None:
    await (await PostgresStore.open(pg_dsn)).close()
    future = len(MIGRATIONS) + 1
    await sql(pg_dsn, f"INSERT INTO schema_version (version, name) VALUES ({future}, 'm999_future')")
    with pytest.raises(SchemaTooNew, match=r"newer than this onpbx-bot knows .*upgrade onpbx-bot") as caught:
        await PostgresStore.open(pg_dsn)
    assert f"version {future}" in str(caught.value)


async def test_a_database_of_another_build_is_refused(pg_dsn: str) -> None:
    await (await PostgresStore.open(pg_dsn)).close()
    await sql(pg_dsn, "UPDATE schema_version SET name = 'm002_something_else' WHERE version = 2")
    with pytest.raises(StorageError, match="migrated by another build"):
        await PostgresStore.open(pg_dsn)


def _sqlite_columns(path: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        conn.close()


async def test_the_schema_mirrors_sqlites_end_state(pg_dsn: str, tmp_path: Path) -> None:
    """A column added to one store and not the other fails here (issue 22: one schema)."""
    await (await SqliteStore.open(str(tmp_path / "bot.db"))).close()
    await (await PostgresStore.open(pg_dsn)).close()
    lite = {t: c for t, c in _sqlite_columns(tmp_path / "bot.db").items() if t not in SQLITE_ONLY}
    rows = await sql(pg_dsn, "SELECT table_name, column_name FROM information_schema.columns "
                             "WHERE table_schema = current_schema()")  # fmt: skip
    pg: dict[str, set[str]] = {}
    for table, column in rows:
        pg.setdefault(str(table), set()).add(str(column))
    pg = {t: c - (PG_ONLY.get(t) or set()) for t, c in pg.items() if t not in PG_ONLY or PG_ONLY[t]}
    assert pg == lite


def test_the_migration_list_follows_sqlites_step_by_step() -> None:
    sqlite_names = [m.name for m in sqlite_migrations.MIGRATIONS.pending(Database(memory=True))]
    assert [m.name for m in MIGRATIONS if not m.name.startswith("p")] == sqlite_names
    assert len({m.name for m in MIGRATIONS}) == len(MIGRATIONS)


async def _kill(dsn: str, application_name: str) -> int:
    rows = await sql(dsn, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          f"WHERE application_name LIKE '{application_name}%'")  # fmt: skip
    return int(rows[0][0])  # type: ignore[call-overload]


async def test_connections_killed_by_the_server_come_back(pg_dsn: str) -> None:
    store = await PostgresStore.open(pg_dsn)
    try:
        await store.ensure_chat(TG, title="kept", language="en", timezone="UTC")
        assert await _kill(pg_dsn, "onpbx-bot store") == 2  # the writer and the reader
        got = await store.get_chat(TG)  # a read runs again on a new connection
        assert got is not None and got.title == "kept"
        await store.set_setting("k", "v")  # found dead at BEGIN: nothing ran, so it runs again
        assert await store.get_setting("k") == "v"
    finally:
        await store.close()


SECRET = "Wr0ng-S3cret-Passw0rd"


def _everything(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


@pytest.mark.parametrize("where", ["wrong password", "closed port", "bad port", "password in query"])
async def test_no_error_shows_the_password(
    where: str, pg_cluster: PgCluster, pg_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = pg_cluster.dsn(pg_database)
    dsn = {
        "wrong password": pg_cluster.dsn(pg_database, password=SECRET),
        "closed port": f"postgresql://onpbx:{SECRET}@127.0.0.1:9/x",
        "bad port": f"postgresql://onpbx:{SECRET}@127.0.0.1:notaport/x",
        "password in query": good.replace(f":{pg_cluster.password}@", "@") + f"?password={SECRET}",
    }[where]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageError) as caught:
        await PostgresStore.open(dsn)
    text = _everything(caught.value)
    assert SECRET not in text and "***" in text, text
    assert SECRET not in caplog.text


async def test_no_log_line_of_a_working_store_shows_the_password(
    pg_dsn: str, pg_cluster: PgCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = await PostgresStore.open(pg_dsn)
    await store.set_setting("k", "v")
    await _kill(pg_dsn, "onpbx-bot store")
    assert await store.get_setting("k") == "v"
    await store.close()
    assert pg_cluster.password not in caplog.text and "***" in caplog.text  # it names the masked URL
    assert pg_cluster.password not in store.where


def test_settings_count_the_database_password_among_the_secrets() -> None:
    settings = Settings(bot_db=f"postgresql://bot:{SECRET}@db.example:5432/onpbx")
    assert SECRET in settings.secrets()
    line = Redactor(settings.secrets())(f"connecting to postgresql://bot:{SECRET}@db.example/onpbx")
    assert SECRET not in line
    assert Settings(bot_db="./onpbx-bot.sqlite3").secrets() == []
