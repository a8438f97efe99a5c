"""One PostgreSQL connection of a store or a lease, opened again on first use after it broke.

Strategy: a ``Link`` knows its URL only to connect; everything it says names the URL with the
password masked (bot/dsn.py), and a driver error becomes a ``StorageError`` whose text has every
form of the password replaced, since libpq may echo parts of the connection string. Client-side
TCP keepalives notice a vanished server in seconds instead of the kernel's two hours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict

from bot.dsn import MASK, dsn_passwords, redact_dsn
from bot.errors import StorageError

logger = logging.getLogger(__name__)

#: libpq settings a Link uses unless the URL sets them itself
DEFAULTS: dict[str, Any] = {
    "connect_timeout": 10, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
    "keepalives_count": 3,
}  # fmt: skip

T = TypeVar("T")

#: the SQLSTATE ``lease_check`` raises (storage/postgres/schema.py p001_leases)
FENCED_OUT = "OBL01"


class LeaseLost(StorageError):
    """A fenced write was refused: this process does not hold the lease (any more)."""


class Link:
    """A connection to ``dsn`` for one purpose (``role`` names it in ``pg_stat_activity``)."""

    def __init__(self, dsn: str, *, role: str, autocommit: bool = True) -> None:
        self._dsn = dsn
        self.where = redact_dsn(dsn)
        self._secrets = sorted(dsn_passwords(dsn), key=len, reverse=True)
        self.role = role
        self._autocommit = autocommit
        self._conn: AsyncConnection[Any] | None = None
        self.lock = asyncio.Lock()  # a caller's transaction holds it: one at a time per link

    def clean(self, text: str) -> str:
        """``text`` with every form of the URL's password masked (short ones too)."""
        text = text.replace(self._dsn, self.where)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def error(self, action: str, exc: BaseException) -> StorageError:
        """A driver error as a StorageError that names the masked URL and never the password."""
        text = self.clean(f"{type(exc).__name__}: {str(exc).strip()}")
        if isinstance(exc, psycopg.Error) and exc.sqlstate == FENCED_OUT:
            return LeaseLost(f"database refused a write ({action}): {text}")
        return StorageError(f"PostgreSQL {self.where} failed during {action}: {text}")

    def _options(self) -> dict[str, Any]:
        try:
            given = conninfo_to_dict(self._dsn)
        except psycopg.Error as exc:
            raise self.error("parsing BOT_DB", exc) from None
        options = {k: v for k, v in DEFAULTS.items() if k not in given}
        options["application_name"] = given.get("application_name") or f"onpbx-bot {self.role}"
        return options

    async def connection(self) -> AsyncConnection[Any]:
        """The open connection, (re)connecting first if there is none or it broke."""
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        self._conn = None
        if conn is not None:
            logger.warning("PostgreSQL %s connection (%s) broke; connecting again", self.where, self.role)
        try:
            self._conn = await AsyncConnection.connect(
                self._dsn, autocommit=self._autocommit, **self._options()
            )
        except psycopg.Error as exc:
            raise self.error(f"connect ({self.role})", exc) from None
        return self._conn

    @property
    def broken(self) -> bool:
        """The last connection was lost (the server went away, or killed it)."""
        return self._conn is not None and (self._conn.closed or self._conn.broken)

    def forget(self) -> None:
        """Open a new connection next time, leaving the current one to whoever still uses it."""
        self._conn = None

    def drop(self) -> None:
        """Forget the connection (after a timeout or a cancel left it in an unknown state)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            conn.pgconn.finish()  # no round trip: the server just sees the socket close

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()


async def bounded(work: Coroutine[Any, Any, T], within_s: float, link: Link) -> T:
    """``work`` on ``link``, or TimeoutError after ``within_s`` with its connection closed.

    A silent network leaves a query waiting for an answer that never comes; cancelling it once
    makes the driver try to cancel it on the server (through the same silent network) for up
    to ten seconds, so the waiting task is interrupted twice, which closes the connection at once.
    Cancelling the caller interrupts ``work`` the same way.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=within_s)
    except asyncio.CancelledError:
        await _interrupt(task, link)
        raise
    if task in done:
        return task.result()
    await _interrupt(task, link)
    raise TimeoutError(f"no answer within {within_s:.1f} s")


async def _interrupt(task: asyncio.Future[Any], link: Link) -> None:
    task.cancel()
    for _ in range(3):  # let the driver enter its cancel handling, then interrupt that too
        await asyncio.sleep(0)
        task.cancel()
    await asyncio.wait({task}, timeout=1.0)
    if not task.done():  # the driver holds on regardless: leave it, with its connection, behind
        logger.warning("PostgreSQL %s: a %s query ignored cancellation", link.where, link.role)
        link.forget()
        return
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved
    link.drop()

