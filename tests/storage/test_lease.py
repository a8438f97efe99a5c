"""The lease of the active bot on a real PostgreSQL server: one holder among many, a holder
whose own clock stands still is refused by the database, a killed connection comes back
holding, a released lease is free at once (storage/postgres/lease.py)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from bot.writes import SetSetting
from storage.postgres import Lease, LeaseLost, LeaseTiming, PostgresStore
from tests.storage.samples import TG, missed

pytestmark = pytest.mark.timeout(30)

#: a short lease, so that waiting for it to expire on the database's clock takes 0.3 s
SHORT = LeaseTiming(ttl_s=0.3, renew_s=0.1, poll_s=0.1, margin_s=0.05)


class FrozenClock:
    """A process whose own time stands still (paused VM, stopped process): it believes it holds."""

    def __call__(self) -> float:
        return 0.0


@pytest.fixture
async def dsn(pg_dsn: str) -> str:
    """A schema with the store's tables (the leases table among them)."""
    store = await PostgresStore.open(pg_dsn)
    await store.close()
    return pg_dsn


async def lease_row(dsn: str, name: str = "active") -> tuple[str, int, bool]:
    """(holder, epoch, expired on the database's clock) of the lease ``name``."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT holder, epoch, expires_at <= clock_timestamp() FROM leases WHERE name = %s", [name]
        )
        row = await cur.fetchone()
    assert row is not None
    return str(row[0]), int(row[1]), bool(row[2])


async def wait_expired(dsn: str, name: str = "active") -> None:
    while not (await lease_row(dsn, name))[2]:
        pass  # each check is a round trip to the server: no sleep needed, the test timeout bounds it


def test_timing_keeps_the_takeover_inside_the_failover_bound() -> None:
    for failover_s in (1.0, 3.0, 10.0, 60.0):
        t = LeaseTiming.for_failover(failover_s)
        assert t.takeover_s <= failover_s * 2 / 3 + 1e-9  # a third is left to reach the PBX
        assert 0 < t.margin_s < t.ttl_s and 2 * t.renew_s < t.ttl_s - t.margin_s  # two renews per term


@pytest.mark.parametrize("fresh", [True, False], ids=["first-ever", "expired"])
@pytest.mark.parametrize("name", ["r1", "r2", "r3", "r4"])  # a race: run it a few times
async def test_exactly_one_of_many_contenders_holds(dsn: str, fresh: bool, name: str) -> None:
    leases = [Lease(dsn, SHORT, name=name) for _ in range(8)]
    try:
        if not fresh:  # the row exists and its term ran out: they all race to take it over
            assert await leases[0].acquire()
            await wait_expired(dsn, name)
        for lease in leases:  # each on its own connection, as separate processes would be
            await lease._link.connection()
        won = await asyncio.gather(*(lease.acquire() for lease in leases))
        assert won.count(True) == 1
        holder = leases[won.index(True)]
        assert [lease.holds() for lease in leases] == won
        assert [lease.token() is not None for lease in leases] == won
        assert await lease_row(dsn, name) == (holder.holder, 1 if fresh else 2, False)
        assert not await leases[won.index(False)].acquire()  # still held: no second holder
    finally:
        for lease in leases:
            await lease.close()


async def test_a_frozen_holder_is_fenced_out_by_the_database(dsn: str) -> None:
    a, b = Lease(dsn, SHORT, clock=FrozenClock()), Lease(dsn, SHORT)
    assert await a.acquire()
    store_a = await PostgresStore.open(dsn, fence=a)
    store_b = await PostgresStore.open(dsn, fence=b)
    try:
        await store_a.ensure_chat(TG, title="", language="en", timezone="UTC")
        await store_a.set_setting("k", "a1")  # held: the write lands
        assert not await b.acquire()
        await wait_expired(dsn)
        assert a.holds()  # its own clock says so: only the database can stop it now
        with pytest.raises(LeaseLost, match="fenced out"):
            await store_a.set_setting("k", "a2")  # expired: refused before anyone took over
        assert await b.acquire() and b.epoch == 2
        for write in (store_a.set_setting("k", "a3"), store_a.enqueue("m1", TG, missed(), 1.0)):
            with pytest.raises(LeaseLost, match="fenced out"):
                await write
        with pytest.raises(LeaseLost, match="fenced out"):
            await store_a.apply([SetSetting("k", "a4")])  # the pipelined group commit too
        await store_b.set_setting("k", "b1")
        assert await store_b.get_setting("k") == "b1" and await store_b.due(10.0) == []
        assert not await a.renew()  # and it learns that it lost the lease
        assert not a.holds() and await lease_row(dsn) == (b.holder, 2, False)
    finally:
        for closing in (store_a.close, store_b.close, a.close, b.close):
            await closing()


async def test_without_the_lease_the_store_refuses_before_asking_the_database(dsn: str) -> None:
    lease = Lease(dsn, SHORT)
    store = await PostgresStore.open(dsn, fence=lease)
    plain = await PostgresStore.open(dsn)
    try:
        with pytest.raises(LeaseLost, match="does not hold"):
            await store.set_setting("k", "v")
        assert await lease.acquire()
        await store.set_setting("k", "v")
        await lease.release()
        with pytest.raises(LeaseLost, match="does not hold"):
            await store.set_setting("k", "w")
        assert await plain.get_setting("k") == "v"  # reads and unfenced stores are not affected
        await plain.set_setting("k", "admin")
        assert await store.get_setting("k") == "admin"
    finally:
        for closing in (store.close, plain.close, lease.close):
            await closing()


async def test_a_killed_connection_comes_back_still_holding(dsn: str, pg_cluster: object) -> None:
    a, b = Lease(dsn, SHORT), Lease(dsn, SHORT)
    try:
        assert await a.acquire()
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as admin:
            cur = await admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
                [f"onpbx-bot lease {a.holder}"],
            )
            assert await cur.fetchone() == (1,)
        assert await a.renew()  # one retry on a new connection; the lease row never moved
        assert a.holds() and not await b.acquire()
        assert await lease_row(dsn) == (a.holder, 1, False)
    finally:
        await a.close()
        await b.close()


async def test_a_released_lease_is_free_at_once(dsn: str) -> None:
    a, b = Lease(dsn, LeaseTiming.for_failover(600.0)), Lease(dsn, SHORT)
    try:
        assert await a.acquire() and not await b.acquire()
        await a.release()
        assert not a.holds() and a.token() is None
        assert await b.acquire() and b.epoch == 2  # no waiting for the 300 s term to run out
    finally:
        await a.close()
        await b.close()


async def _waits_for_a_lock(dsn: str, holder: str) -> bool:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE application_name = %s",
            [f"onpbx-bot lease {holder}"],
        )
        row = await cur.fetchone()
    return bool(row and row[0])


async def test_a_takeover_waits_for_the_fenced_write_in_flight_and_a_renewal_does_not(dsn: str) -> None:
    patient = LeaseTiming(ttl_s=0.3, renew_s=0.1, poll_s=20.0, margin_s=0.05)
    a, b = Lease(dsn, patient, clock=FrozenClock()), Lease(dsn, patient)
    writer = await psycopg.AsyncConnection.connect(dsn)
    try:
        assert await a.acquire()
        await writer.execute("SELECT lease_check('active', %s)", [a.epoch])  # a write transaction, open
        assert await a.renew()  # renewing only moves expires_at: it does not wait for the write
        await wait_expired(dsn)
        takeover = asyncio.create_task(b.acquire())
        while not await _waits_for_a_lock(dsn, b.holder):  # each check is a round trip
            pass  # the takeover comes to wait for the write that checked epoch 1
        assert not takeover.done()
        await writer.commit()  # the fenced write lands first, under the epoch that checked it
        assert await takeover and b.epoch == 2
    finally:
        await writer.close()
        await a.close()
        await b.close()
