"""The database's files at rest: readable by the bot's user only, and the installation's secret.

Strategy: the SQLite file is created ``0600`` before SQLite opens it (SQLite gives its ``-wal``
and ``-shm`` the database's mode; they are tightened again after opening, and an older database
left group- or world-readable is tightened too). The per-installation secret that keys the
pairing-code hashes lives beside the database (``<db>.secret``, ``0600``), so a copy of the
database alone does not let anyone try codes offline.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

logger = logging.getLogger(__name__)
PRIVATE = 0o600
SECRET_BYTES = 32


def on_disk(path: str) -> bool:
    """False for SQLite's in-memory and URI databases (nothing to protect on disk)."""
    return bool(path) and path != ":memory:" and not path.startswith("file:")


def private_file(path: Path) -> None:
    """Create ``path`` empty and ``0600`` if it is missing; take group and other bits off if not."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
        return
    except FileExistsError:
        pass
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
    except OSError as exc:  # not ours to change (read-only mount, another owner): say so once
        logger.warning("cannot make %s private (%s)", path, type(exc).__name__)


def tighten(db_path: str) -> None:
    """The database file and its ``-wal``/``-shm`` (those that exist) to ``0600`` at most."""
    if not on_disk(db_path):
        return
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(db_path + suffix)
        if candidate.exists():
            private_file(candidate)


def installation_secret(db_path: str) -> bytes:
    """The secret beside the database (made on first use); a random one for in-memory databases."""
    if not on_disk(db_path):
        return secrets.token_bytes(SECRET_BYTES)
    path = Path(db_path + ".secret")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        private_file(path)
        data = path.read_bytes()
        if len(data) >= SECRET_BYTES:
            return data
        logger.warning("%s is too short to be a secret; making a new one (issued codes stop working)", path)
        path.unlink()
        return installation_secret(db_path)
    with os.fdopen(fd, "wb") as out:
        fresh = secrets.token_bytes(SECRET_BYTES)
        out.write(fresh)
    return fresh


def keyed_hash(secret: bytes, code: str) -> str:
    """HMAC-SHA256 of a pairing code under the installation's secret (hex)."""
    return hmac.new(secret, code.encode("utf-8"), hashlib.sha256).hexdigest()
