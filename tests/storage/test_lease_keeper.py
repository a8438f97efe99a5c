"""The lease keeper on a real PostgreSQL server, in real time (BOT_FAILOVER_S=3): a frozen or
cut-off holder stops by its own deadline before a standby takes over, the standby holds the
lease within the failover bound (on the database's clock), a cancelled keeper hands over at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import psycopg
import pytest

from storage.postgres import Lease, LeaseKeeper, LeaseTiming, PostgresStore
from tests.netcut import CutProxy

pytestmark = pytest.mark.timeout(60)
FAILOVER_S = 3.0
TIMING = LeaseTiming.for_failover(FAILOVER_S)


@pytest.fixture
async def dsn(pg_dsn: str) -> str:
    store = await PostgresStore.open(pg_dsn)  # the schema, leases table included
    await store.close()
    return pg_dsn


async def db_time(dsn: str, sql: str = "SELECT extract(epoch FROM clock_timestamp())") -> float:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        row = await (await conn.execute(sql)).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return float(row[0])


class Side:
    """One bot's lease and keeper; records each change with whether the other side held then."""

    def __init__(self, name: str, dsn: str, log: list[tuple[str, bool, bool]], sleep: Callable | None = None):
        self.name, self.log = name, log
        self.lease = Lease(dsn, TIMING)
        self.other: Side | None = None
        self.changed = asyncio.Event()
        self.keeper = LeaseKeeper(self.lease, self._on_change, **({"sleep": sleep} if sleep else {}))
        self.task: asyncio.Task[None] | None = None

    def _on_change(self, holding: bool) -> None:
        other_holds = self.other is not None and self.other.lease.holds()
        self.log.append((self.name, holding, other_holds))
        self.changed.set()

    def start(self) -> None:
        self.task = asyncio.create_task(self.keeper.run())

    async def until(self, holding: bool) -> None:
        while self.keeper.holding != holding:
            self.changed.clear()
            await self.changed.wait()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.lease.close()


def pair(a: Side, b: Side) -> None:
    a.other, b.other = b, a


async def test_a_frozen_holder_stops_first_and_the_standby_takes_over_within_the_bound(dsn: str) -> None:
    frozen = asyncio.Event()

    async def a_sleep(seconds: float) -> None:  # after ``frozen``, A never takes another step
        await asyncio.sleep(seconds)
        if frozen.is_set():
            await asyncio.Event().wait()

    log: list[tuple[str, bool, bool]] = []
    a, b = Side("a", dsn, log, a_sleep), Side("b", dsn, log)
    pair(a, b)
    try:
        a.start()
        await a.until(True)
        b.start()
        await asyncio.sleep(TIMING.poll_s * 2)  # B polls and finds the lease held
        assert not b.keeper.holding and not b.lease.holds()
        frozen.set()
        stopped_at = await db_time(dsn)
        await b.until(True)
        took_at = await db_time(dsn, "SELECT extract(epoch FROM acquired_at) FROM leases")
        assert took_at - stopped_at <= FAILOVER_S, (took_at - stopped_at, TIMING)
        assert ("b", True, False) in log  # when B took over, A no longer held by its own clock
        assert not a.lease.holds() and b.lease.epoch == (a.lease.epoch or 0) + 1
    finally:
        await a.stop()
        await b.stop()


async def test_a_cancelled_keeper_releases_and_the_standby_takes_over_at_its_next_poll(dsn: str) -> None:
    log: list[tuple[str, bool, bool]] = []
    a, b = Side("a", dsn, log), Side("b", dsn, log)
    pair(a, b)
    try:
        a.start()
        await a.until(True)
        b.start()
        await asyncio.sleep(TIMING.poll_s)
        released_at = await db_time(dsn)
        await a.stop()  # clean shutdown: release
        await b.until(True)
        took_at = await db_time(dsn, "SELECT extract(epoch FROM acquired_at) FROM leases")
        assert took_at - released_at < TIMING.ttl_s  # not the expiry: the release freed it
        assert log[:2] == [("a", True, False), ("a", False, False)] and log[2] == ("b", True, False)
    finally:
        await a.stop()
        await b.stop()


async def test_a_holder_cut_off_from_the_database_stops_by_its_deadline(dsn: str, pg_cluster: object) -> None:
    log: list[tuple[str, bool, bool]] = []
    port = int(dsn.split("@127.0.0.1:")[1].split("/")[0])
    async with CutProxy(port) as proxy:
        a, b = Side("a", proxy.url(dsn), log), Side("b", dsn, log)
        pair(a, b)
        try:
            a.start()
            await a.until(True)
            b.start()
            proxy.cut()  # A's renewals now vanish on the way: only its own clock can tell it
            await a.until(False)
            assert not a.lease.holds() and log[-1] == ("a", False, False)
            await b.until(True)
            assert log[-1] == ("b", True, False)
            proxy.restore()
            for _ in range(3):  # A reaches the database again and finds the lease taken
                await a.keeper.step()
            assert not a.keeper.holding and b.keeper.holding and b.lease.holds()
        finally:
            await a.stop()
            await b.stop()
