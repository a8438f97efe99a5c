"""The lease of the active bot: one row per lease name, held for a while, with a fencing epoch.

Strategy: a lease row rather than an advisory lock, because its expiry runs on the database's
clock: a holder that can no longer reach the database knows when it must have stopped (its own
deadline, counted from before its last successful renew, falls before the row's expiry), whereas
a session advisory lock goes whenever the server notices the dead connection, which the holder
cannot know (and which a connection pooler breaks). Each acquisition bumps ``epoch``; a fenced
write runs ``lease_check(name, epoch)`` in its transaction, so the database refuses a stale one.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, LiteralString, Protocol

import psycopg

from bot.errors import StorageError
from storage.postgres.link import Link, bounded

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class LeaseToken:
    """What a fenced write shows the database: the lease and the epoch this process holds."""

    name: str
    epoch: int


class Fence(Protocol):
    """What a fenced store asks before each write (:class:`Lease` is one)."""

    def token(self) -> LeaseToken | None:
        """The held lease, or None when this process must not write."""
        ...


@dataclass(frozen=True, slots=True)
class LeaseTiming:
    """How long a renew keeps the lease (``ttl_s``, on the database's clock), how often the
    holder renews and a standby polls, and how early the holder stops before the row expires."""

    ttl_s: float
    renew_s: float
    poll_s: float
    margin_s: float

    @classmethod
    def for_failover(cls, failover_s: float) -> LeaseTiming:
        """From ``BOT_FAILOVER_S``: the lease lasts half of it and is renewed three times in
        that; a standby polls as often, so it holds the lease within 2/3 of ``failover_s`` of
        the holder's death, which leaves the last third to connect to the PBX."""
        ttl = failover_s / 2
        return cls(ttl_s=ttl, renew_s=ttl / 3, poll_s=ttl / 3, margin_s=min(1.0, ttl / 5))

    @property
    def takeover_s(self) -> float:
        """Worst time from the holder's death to a standby's acquisition (queries aside)."""
        return self.ttl_s + self.poll_s


#: a lease's row is made once, expired, by whoever asks first (DO NOTHING covers every unique key,
#: where an upsert's ON CONFLICT (name) would let two first acquisitions collide on (name, epoch))
_SEED: LiteralString = "INSERT INTO leases (name) VALUES (%(name)s) ON CONFLICT DO NOTHING"
#: concurrent acquisitions queue on the row lock; each re-reads the row, so only the first wins
_ACQUIRE: LiteralString = (
    "UPDATE leases SET holder = %(holder)s, epoch = epoch + 1, acquired_at = clock_timestamp(), "
    "expires_at = clock_timestamp() + make_interval(secs => %(ttl)s) "
    "WHERE name = %(name)s AND (expires_at <= clock_timestamp() OR holder = %(holder)s) RETURNING epoch"
)
_RENEW: LiteralString = (
    "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => %(ttl)s) "
    "WHERE name = %(name)s AND epoch = %(epoch)s AND expires_at > clock_timestamp() RETURNING epoch"
)
_RELEASE: LiteralString = (
    "UPDATE leases SET expires_at = '-infinity' WHERE name = %(name)s AND epoch = %(epoch)s "
    "AND expires_at > clock_timestamp()"
)


def holder_id() -> str:
    """This process, for people reading the ``leases`` row: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    """This process's claim on the lease ``name``: :meth:`acquire`, :meth:`renew`,
    :meth:`release`, and :meth:`holds`, which turns False by this process's own clock before
    the row can expire, even when the database is out of reach. Runs on its own connection.
    """

    def __init__(
        self, dsn: str, timing: LeaseTiming, *, name: str = "active", holder: str | None = None,
        clock: Clock = time.monotonic,
    ) -> None:  # fmt: skip
        self.name = name
        self.timing = timing
        self.holder = holder or holder_id()
        self._link = Link(dsn, role=f"lease {self.holder}")  # pg_stat_activity names the holder
        self.clock = clock  # decides this process's deadline (inject one in tests)
        self._epoch: int | None = None
        self._seeded = False  # the lease's row exists
        self._deadline = float("-inf")

    @property
    def epoch(self) -> int | None:
        """The epoch of the current (or last) holding, None before the first."""
        return self._epoch

    @property
    def deadline(self) -> float:
        """When, on this process's clock, the current holding ends unless renewed."""
        return self._deadline

    def holds(self) -> bool:
        return self._epoch is not None and self.clock() < self._deadline

    def token(self) -> LeaseToken | None:
        return LeaseToken(self.name, self._epoch) if self._epoch is not None and self.holds() else None

    async def acquire(self) -> bool:
        """Take the lease if it is free or expired; True if this process holds it now."""
        started = self.clock()
        params = {"name": self.name, "holder": self.holder, "ttl": self.timing.ttl_s}
        if not self._seeded:
            await self._query("acquire", _SEED, params, self.timing.poll_s)
            self._seeded = True
        row = await self._query("acquire", _ACQUIRE, params, self.timing.poll_s)
        if row is None:
            return self.holds()
        self._epoch, self._deadline = int(row[0]), started + self.timing.ttl_s - self.timing.margin_s
        logger.info("lease %r acquired by %s (epoch %d)", self.name, self.holder, self._epoch)
        return True

    async def renew(self) -> bool:
        """Extend the holding; False (and no longer holding) if it was lost or expired."""
        if not self.holds():
            return False
        started, epoch = self.clock(), self._epoch
        params = {"name": self.name, "epoch": epoch, "ttl": self.timing.ttl_s}
        row = await self._query("renew", _RENEW, params, max(0.05, self._deadline - started))
        if row is None:
            logger.warning("lease %r epoch %s was lost (expired or taken over)", self.name, epoch)
            self._deadline = float("-inf")
            return False
        self._deadline = started + self.timing.ttl_s - self.timing.margin_s
        return True

    async def release(self) -> None:
        """Give the lease up at once (a clean shutdown): a standby takes it at its next poll."""
        epoch, held = self._epoch, self.holds()
        self._deadline = float("-inf")
        if held:
            await self._query("release", _RELEASE, {"name": self.name, "epoch": epoch}, self.timing.poll_s)
            logger.info("lease %r epoch %s released", self.name, epoch)

    async def close(self) -> None:
        await self._link.close()

    async def _query(self, action: str, sql: LiteralString, params: dict[str, Any], within_s: float) -> Any:
        """One autocommit statement, given up after ``within_s``; its first row or None. Each is
        safe to repeat (a repeated acquisition just takes a newer epoch), so one that found its
        connection lost runs once more on a new one."""
        link = self._link
        async with link.lock:
            try:
                return await bounded(self._twice(sql, params), within_s, link)
            except psycopg.Error as exc:
                raise link.error(f"lease {action}", exc) from None
            except TimeoutError:
                took = f"lease {action} took over {within_s:.1f} s"
                raise StorageError(f"PostgreSQL {link.where}: {took}") from None

    async def _twice(self, sql: LiteralString, params: dict[str, Any]) -> Any:
        try:
            return await self._once(sql, params)
        except psycopg.Error:
            if not self._link.broken:
                raise
        return await self._once(sql, params)

    async def _once(self, sql: LiteralString, params: dict[str, Any]) -> Any:
        cur = await (await self._link.connection()).execute(sql, params)
        return await cur.fetchone() if cur.description else None
