"""People, grants and pairing codes of the PostgreSQL store (storage/sqlite_people.py's twin).

``seen`` takes the next number of a sequence at each ``remember_person``, so a username that
moved to someone else resolves to its latest owner (SQLite's rowid after INSERT OR REPLACE); an
organisation once known is kept when a later sighting does not say it. Handles compare
case-insensitively with ``lower()`` (SQLite: COLLATE NOCASE). The last admin's revoke locks the
admins' rows (FOR UPDATE), so two admins revoking each other at once leave one.
"""

from __future__ import annotations

from typing import Any

from bot.domain import Grant, Role, UserRef
from storage.postgres.rows import Conn, rowcount, rows


def _user(r: dict[str, Any]) -> UserRef:
    return UserRef(r["platform"], r["user_id"], r["display"], r["username"], r["org"])


async def remember_person(conn: Conn, user: UserRef) -> None:
    await conn.execute(
        "INSERT INTO people (platform, user_id, display, username, org) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (platform, user_id) DO UPDATE SET display = excluded.display, "
        "username = excluded.username, seen = nextval('people_seen'), "
        "org = CASE WHEN excluded.org <> '' THEN excluded.org ELSE people.org END",
        [user.platform, user.user_id, user.display, user.username.lstrip("@"), user.org],
    )


async def find_person(conn: Conn, platform: str, handle: str) -> UserRef | None:
    wanted = handle.strip().lstrip("@")
    if not wanted:
        return None
    for sql in (
        "SELECT * FROM people WHERE platform = %s AND lower(user_id) = lower(%s) ORDER BY seen DESC LIMIT 1",
        "SELECT * FROM people WHERE platform = %s AND lower(username) = lower(%s) ORDER BY seen DESC LIMIT 1",
    ):
        found = await rows(conn, sql, [platform, wanted])
        if found:
            return _user(found[0])
    return None


async def find_people(conn: Conn, platform: str, username: str) -> list[UserRef]:
    wanted = username.strip().lstrip("@")
    if not wanted:
        return []
    sql = "SELECT * FROM people WHERE platform = %s AND lower(username) = lower(%s) ORDER BY seen DESC"
    return [_user(r) for r in await rows(conn, sql, [platform, wanted])]


async def grant(conn: Conn, platform: str, user_id: str, role: Role, scope: str) -> None:
    await conn.execute(
        "INSERT INTO grants (platform, user_id, scope, role) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (platform, user_id, scope) DO UPDATE SET role = excluded.role",
        [platform, user_id, scope, int(role)],
    )


async def revoke(conn: Conn, platform: str, user_id: str, scope: str | None) -> int:
    if scope is None:
        return await rowcount(
            conn, "DELETE FROM grants WHERE platform = %s AND user_id = %s", [platform, user_id]
        )
    sql = "DELETE FROM grants WHERE platform = %s AND user_id = %s AND scope = %s"
    return await rowcount(conn, sql, [platform, user_id, scope])


async def revoke_keeping_an_admin(conn: Conn, platform: str, user_id: str) -> int | None:
    """Every grant of the user, unless they are the only admin there is (None: nothing changed)."""
    found = await rows(conn, "SELECT platform, user_id FROM grants WHERE role >= %s FOR UPDATE",
                       [int(Role.ADMIN)])  # fmt: skip
    if {(r["platform"], r["user_id"]) for r in found} == {(platform, user_id)}:
        return None
    return await revoke(conn, platform, user_id, None)


async def roles_of(conn: Conn, platform: str, user_id: str) -> dict[str, Role]:
    found = await rows(conn, "SELECT scope, role FROM grants WHERE platform = %s AND user_id = %s",
                       [platform, user_id])  # fmt: skip
    return {r["scope"]: Role(r["role"]) for r in found}


async def list_grants(conn: Conn) -> list[Grant]:
    found = await rows(
        conn,
        "SELECT g.platform, g.user_id, g.role, g.scope, coalesce(p.display, '') AS display "
        "FROM grants g LEFT JOIN people p ON p.platform = g.platform AND p.user_id = g.user_id "
        "ORDER BY g.platform, g.user_id, g.scope",
    )
    return [Grant(r["platform"], r["user_id"], Role(r["role"]), r["scope"], r["display"]) for r in found]


async def add_pairing_code(conn: Conn, code_hash: str, expires_at: float) -> None:
    await conn.execute(
        "INSERT INTO pairing_codes (code_hash, expires_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        [code_hash, expires_at],
    )


async def redeem_pairing_code(conn: Conn, code_hash: str, now: float) -> bool:
    sql = ("UPDATE pairing_codes SET used_at = %s "
           "WHERE code_hash = %s AND used_at IS NULL AND expires_at > %s")  # fmt: skip
    return await rowcount(conn, sql, [now, code_hash, now]) == 1
