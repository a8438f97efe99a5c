"""Store contract (memory, SQLite, PostgreSQL) for issue 19: people keep their organisation (a
sighting that says none does not erase it), the last admin is not revoked by the guarded revoke
(the check and the change are one transaction), and pairing codes are kept as keyed hashes only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.domain import Role, UserRef
from bot.ports import Store
from tests.storage.conftest import open_store


async def test_people_keep_their_organisation(store: Store) -> None:
    await store.remember_person(UserRef("slack", "U0EVE", "eve", "eve", org="T2"))
    await store.remember_person(UserRef("slack", "U0EVE", "Eve", "eve"))  # no org said this time
    found = await store.find_person("slack", "@eve")
    assert found is not None and (found.display, found.org) == ("Eve", "T2")
    [person] = await store.find_people("slack", "eve")
    assert person.org == "T2"
    await store.remember_person(UserRef("slack", "U0EVE", "Eve", "eve", org="E1"))
    assert (await store.find_person("slack", "U0EVE")).org == "E1"  # type: ignore[union-attr]


async def test_the_guarded_revoke_keeps_the_last_admin(store: Store) -> None:
    await store.grant("telegram", "7", Role.ADMIN, "*")
    await store.grant("telegram", "7", Role.OPERATOR, "-100")
    await store.grant("telegram", "9", Role.VIEWER, "-100")
    assert await store.revoke_keeping_an_admin("telegram", "7") is None
    assert await store.roles_of("telegram", "7") == {"*": Role.ADMIN, "-100": Role.OPERATOR}
    assert await store.revoke_keeping_an_admin("telegram", "9") == 1  # not an admin: revoked
    await store.grant("slack", "U8", Role.ADMIN, "*")
    assert await store.revoke_keeping_an_admin("telegram", "7") == 2  # another admin is left
    assert await store.revoke_keeping_an_admin("slack", "U8") is None


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_a_store_without_the_secret_redeems_no_code(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    first = await open_store(kind, tmp_path, request)
    try:
        await first.add_pairing_code("ABCD2345", 100.0)
        leaked = await _hashes(first)
        assert leaked and hashlib.sha256(b"ABCD2345").hexdigest() not in leaked
    finally:
        await first.close()
    if kind == "sqlite":
        (tmp_path / "bot.db.secret").unlink()  # the database alone, as a thief would copy it
    second = await open_store(kind, tmp_path, request)  # postgres: no secret given, a fresh one
    try:
        assert await second.redeem_pairing_code("ABCD2345", 1.0) is False
    finally:
        await second.close()


async def _hashes(store: Store) -> list[str]:
    run = getattr(store, "run", None)
    if run is not None:  # SQLite
        return list(await run(lambda db: [r["code_hash"] for r in db.query("SELECT * FROM pairing_codes")]))
    from storage.postgres.rows import rows

    return [r["code_hash"] for r in await store._read(rows, "SELECT code_hash FROM pairing_codes")]  # type: ignore[attr-defined]
