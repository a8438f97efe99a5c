"""Opens the store ``BOT_DB`` names: a SQLite file (the default) or a PostgreSQL URL.

Strategy: the URL's scheme decides (bot/dsn.py); each store module is imported only when it is
chosen, so a bot on SQLite never loads the PostgreSQL driver (memory at rest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dsn import is_postgres_url, redact_dsn
from bot.errors import StorageError
from bot.ports import Store
from storage.files import installation_secret

#: with PostgreSQL the installation secret (not a password: a file's name) is ./onpbx-bot.secret
PG_SECRET_BASE = "onpbx-bot"  # noqa: S105

if TYPE_CHECKING:
    from storage.postgres.lease import Fence


async def open_store(bot_db: str, *, fence: Fence | None = None) -> Store:
    """The store at ``bot_db``; ``fence`` (PostgreSQL only) makes every write need the lease."""
    if not is_postgres_url(bot_db):
        if fence is not None:
            raise StorageError("a SQLite store has no lease to fence its writes with")
        from storage.sqlite import SqliteStore

        return await SqliteStore.open(bot_db)
    try:
        from storage.postgres import PostgresStore
    except ImportError as exc:
        raise StorageError(
            f"BOT_DB is a PostgreSQL URL ({redact_dsn(bot_db)}) but its driver is missing "
            f"({exc.name}): pip install 'psycopg[binary]'"
        ) from None
    # the pairing-code key lives beside the bot, not in the database: ./onpbx-bot.secret (0600)
    return await PostgresStore.open(bot_db, fence=fence, secret=installation_secret(PG_SECRET_BASE))
