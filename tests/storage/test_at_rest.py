"""Issue 19 §4: the database file and its ``-wal``/``-shm`` are created ``0600`` (an older, looser
one is tightened), and pairing codes are stored as a hash keyed with a per-installation secret
kept beside the database (``0600``): a copy of the database alone does not let anyone try codes."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.commands import create_pairing_code
from storage.sqlite import SqliteStore


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what most systems give a service: files would be 0644
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await SqliteStore.open(str(db))
    try:
        await store.set_setting("k", "v")
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}.secret")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        await store.close()


async def test_an_older_readable_database_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    store = await SqliteStore.open(str(db))
    await store.close()
    os.chmod(db, 0o644)
    store = await SqliteStore.open(str(db))
    await store.close()
    assert mode(db) == 0o600


async def test_a_copy_of_the_database_alone_does_not_redeem_a_code(tmp_path: Path) -> None:
    home, thief = tmp_path / "home", tmp_path / "thief"
    home.mkdir()
    thief.mkdir()
    store = await SqliteStore.open(str(home / "bot.sqlite3"))
    code = await create_pairing_code(store, 1000.0)
    stored = await store.run(lambda db: [r["code_hash"] for r in db.query("SELECT * FROM pairing_codes")])
    await store.close()
    assert stored and hashlib.sha256(code.encode()).hexdigest() not in stored and code not in stored[0]
    shutil.copy(home / "bot.sqlite3", thief / "bot.sqlite3")  # the database, not its secret
    copy = await SqliteStore.open(str(thief / "bot.sqlite3"))
    try:
        assert await copy.redeem_pairing_code(code, 1001.0) is False
    finally:
        await copy.close()
    shutil.copy(home / "bot.sqlite3.secret", thief / "bot.sqlite3.secret")
    os.remove(thief / "bot.sqlite3")
    shutil.copy(home / "bot.sqlite3", thief / "bot.sqlite3")
    with_secret = await SqliteStore.open(str(thief / "bot.sqlite3"))
    try:
        assert await with_secret.redeem_pairing_code(code, 1001.0) is True  # the key is what was missing
    finally:
        await with_secret.close()
