"""People, grants and pairing codes of the SQLite store (synchronous, on the store's thread).

The newest ``remember_person`` row of a user gets the highest rowid (INSERT OR REPLACE), so a
username that moved to someone else resolves to its latest owner; an organisation once known is
kept when a later sighting does not say it. Revoking the last admin is refused inside the same
transaction that would have done it.
"""

from __future__ import annotations

from sqlite_utils import Database

from bot.domain import Grant, Role, UserRef
from storage.sqlite_rows import rows


def remember_person(db: Database, user: UserRef) -> None:
    key = [user.platform, user.user_id]
    known = rows(db, "SELECT org FROM people WHERE platform = ? AND user_id = ?", key)
    org = user.org or (known[0]["org"] if known else "")
    db.execute(
        "INSERT OR REPLACE INTO people (platform, user_id, display, username, org) VALUES (?, ?, ?, ?, ?)",
        [user.platform, user.user_id, user.display, user.username.lstrip("@"), org],
    )


def _person(r: dict[str, object]) -> UserRef:
    return UserRef(str(r["platform"]), str(r["user_id"]), str(r["display"]), str(r["username"]),
                   str(r["org"]))


def find_person(db: Database, platform: str, handle: str) -> UserRef | None:
    wanted = handle.strip().lstrip("@")
    if not wanted:
        return None
    for column in ("user_id", "username"):
        found = rows(
            db,
            f"SELECT * FROM people WHERE platform = ? AND {column} = ? COLLATE NOCASE "
            "ORDER BY rowid DESC LIMIT 1",
            [platform, wanted],
        )
        if found:
            return _person(found[0])
    return None


def find_people(db: Database, platform: str, username: str) -> list[UserRef]:
    wanted = username.strip().lstrip("@")
    found = rows(
        db,
        "SELECT * FROM people WHERE platform = ? AND username = ? COLLATE NOCASE ORDER BY rowid DESC",
        [platform, wanted],
    )
    return [_person(r) for r in found if wanted]


def grant(db: Database, platform: str, user_id: str, role: Role, scope: str) -> None:
    db.execute(
        "INSERT OR REPLACE INTO grants (platform, user_id, scope, role) VALUES (?, ?, ?, ?)",
        [platform, user_id, scope, int(role)],
    )


def revoke(db: Database, platform: str, user_id: str, scope: str | None) -> int:
    sql, params = "DELETE FROM grants WHERE platform = ? AND user_id = ?", [platform, user_id]
    if scope is not None:
        sql, params = f"{sql} AND scope = ?", [*params, scope]
    return int(db.execute(sql, params).rowcount)


def revoke_keeping_an_admin(db: Database, platform: str, user_id: str) -> int | None:
    """Every grant of the user, unless they are the only admin there is (None: nothing changed)."""
    admins = rows(db, "SELECT DISTINCT platform, user_id FROM grants WHERE role >= ?", [int(Role.ADMIN)])
    if [(r["platform"], r["user_id"]) for r in admins] == [(platform, user_id)]:
        return None
    return revoke(db, platform, user_id, None)


def roles_of(db: Database, platform: str, user_id: str) -> dict[str, Role]:
    found = rows(db, "SELECT scope, role FROM grants WHERE platform = ? AND user_id = ?", [platform, user_id])
    return {r["scope"]: Role(r["role"]) for r in found}


def list_grants(db: Database) -> list[Grant]:
    found = rows(
        db,
        "SELECT g.platform, g.user_id, g.role, g.scope, coalesce(p.display, '') AS display "
        "FROM grants g LEFT JOIN people p ON p.platform = g.platform AND p.user_id = g.user_id "
        "ORDER BY g.platform, g.user_id, g.scope",
    )
    return [Grant(r["platform"], r["user_id"], Role(r["role"]), r["scope"], r["display"]) for r in found]


def add_pairing_code(db: Database, code_hash: str, expires_at: float) -> None:
    db.execute(
        "INSERT OR IGNORE INTO pairing_codes (code_hash, expires_at) VALUES (?, ?)", [code_hash, expires_at]
    )


def redeem_pairing_code(db: Database, code_hash: str, now: float) -> bool:
    cursor = db.execute(
        "UPDATE pairing_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
        [now, code_hash, now],
    )
    return cursor.rowcount == 1
