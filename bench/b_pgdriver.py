"""PostgreSQL driver choice: psycopg 3 (async) against asyncpg on the store's typical operations,
both on one throwaway server (tests/pg.py) in this process.

Strategy: the same statements on the real schema (storage/postgres/schema.py), each driver at
its best: a group commit of 100 small writes (70 outbox inserts that return their id, 30 call
snapshots), a fenced single write (BEGIN, lease check, upsert, COMMIT), the outbox ``due`` read
of 100 rows, a single-row upsert. Rounds alternate between the drivers; the best round counts.
``*_ratio_psycopg_vs_asyncpg`` < 1 means psycopg is faster. Skipped without the server binaries.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.pg import running_cluster, server_problem

ROUNDS = 5
REPS = {"group_commit": 40, "fenced_write": 300, "due_100": 200, "upsert": 600}
ENQUEUE = (
    "INSERT INTO outbox (dedup_key, platform, chat_id, kind, payload, created_at, next_attempt_at) "
    "VALUES ($1, 'telegram', '-100', 'missed', $2, $3, $3) ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
)
SNAPSHOT = (
    "INSERT INTO tracked_calls (call_id, snapshot, updated_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (call_id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at"
)
SETTING = (
    "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
DUE = "SELECT * FROM outbox o WHERE NOT done AND next_attempt_at <= $1 ORDER BY id LIMIT 100"
PAYLOAD = '{"kind": "missed", "call_id": "a1", "caller_number": "+79990001122", "extensions": ["101", "102"]}'


def _pg(sql: str) -> str:
    """asyncpg's $n placeholders as psycopg's %s (each used once in order, or $3 twice)."""
    out = sql
    for n in range(9, 0, -1):
        out = out.replace(f"${n}", f"%({n})s")
    return out


class Psycopg:
    def __init__(self, conn: Any, pipeline: bool) -> None:
        self.conn, self.pipeline = conn, pipeline
        self.name = "psycopg_pipeline" if pipeline else "psycopg"

    @staticmethod
    def _args(*values: Any) -> dict[str, Any]:
        return {str(i): v for i, v in enumerate(values, start=1)}

    async def group_commit(self, tag: str) -> None:
        conn = self.conn
        if self.pipeline:
            async with conn.pipeline(), conn.transaction():
                curs = [
                    await conn.execute(_pg(ENQUEUE), self._args(f"{tag}-{i}", PAYLOAD, 1.0))
                    for i in range(70)
                ]
                for i in range(30):
                    await conn.execute(_pg(SNAPSHOT), self._args(f"c{i}", PAYLOAD, 2.0))
                ids = [await c.fetchone() for c in curs]
        else:
            async with conn.transaction():
                ids = []
                for i in range(70):
                    cur = await conn.execute(_pg(ENQUEUE), self._args(f"{tag}-{i}", PAYLOAD, 1.0))
                    ids.append(await cur.fetchone())
                for i in range(30):
                    await conn.execute(_pg(SNAPSHOT), self._args(f"c{i}", PAYLOAD, 2.0))
        assert all(r is not None for r in ids)

    async def fenced_write(self, i: int) -> None:
        conn = self.conn
        if self.pipeline:
            async with conn.pipeline(), conn.transaction():
                await conn.execute("SELECT lease_check('bench', 1)")
                await conn.execute(_pg(SETTING), self._args("k", str(i)))
        else:
            async with conn.transaction():
                await conn.execute("SELECT lease_check('bench', 1)")
                await conn.execute(_pg(SETTING), self._args("k", str(i)))

    async def due(self) -> int:
        cur = await self.conn.execute(_pg(DUE), self._args(1e12))
        return len(await cur.fetchall())

    async def upsert(self, i: int) -> None:
        await self.conn.execute(_pg(SETTING), self._args("u", str(i)))


class Asyncpg:
    name = "asyncpg"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def group_commit(self, tag: str) -> None:
        async with self.conn.transaction():
            ids = [await self.conn.fetchval(ENQUEUE, f"{tag}-{i}", PAYLOAD, 1.0) for i in range(70)]
            await self.conn.executemany(SNAPSHOT, [(f"c{i}", PAYLOAD, 2.0) for i in range(30)])
        assert all(r is not None for r in ids)

    async def fenced_write(self, i: int) -> None:
        async with self.conn.transaction():
            await self.conn.execute("SELECT lease_check('bench', 1)")
            await self.conn.execute(SETTING, "k", str(i))

    async def due(self) -> int:
        return len(await self.conn.fetch(DUE, 1e12))

    async def upsert(self, i: int) -> None:
        await self.conn.execute(SETTING, "u", str(i))


async def _timed(reps: int, step: Callable[[int], Awaitable[Any]]) -> tuple[float, float]:
    """(wall, this process's CPU) microseconds per call."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(reps):
        await step(i)
    return (time.perf_counter() - wall) / reps * 1e6, (time.process_time() - cpu) / reps * 1e6


def _steps(d: Any, r: int) -> dict[str, Callable[[int], Awaitable[Any]]]:
    steps: dict[str, Callable[[int], Awaitable[Any]]] = {
        "group_commit": lambda i: d.group_commit(f"{d.name}{r}.{i}"),
        "fenced_write": d.fenced_write,
    }
    if d.name != "psycopg_pipeline":  # reads and autocommit upserts have nothing to pipeline
        steps.update({"due_100": lambda _i: d.due(), "upsert": d.upsert})
    return steps


async def _measure(drivers: list[Any]) -> dict[str, dict[str, tuple[float, float]]]:
    best: dict[str, dict[str, tuple[float, float]]] = {d.name: {} for d in drivers}
    for r in range(ROUNDS):
        for d in drivers:
            for op, step in _steps(d, r).items():
                wall, cpu = await _timed(REPS[op], step)
                old = best[d.name].get(op, (wall, cpu))
                best[d.name][op] = (min(old[0], wall), min(old[1], cpu))
    return best


async def _setup(dsn: str) -> None:
    import psycopg

    from storage.postgres.schema import upgrade

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await upgrade(conn)
        await conn.execute("INSERT INTO leases (name, holder, epoch, expires_at) "
                           "VALUES ('bench', 'me', 1, 'infinity')")  # fmt: skip
        async with conn.pipeline():
            for i in range(1000):  # live rows for ``due``; the group commits' rows are later ids
                await conn.execute(_pg(ENQUEUE), {"1": f"live-{i}", "2": PAYLOAD, "3": float(i)})


async def run() -> dict[str, Any]:
    problem = server_problem()
    if problem:
        return {"skipped": problem}
    import asyncpg
    import psycopg

    with running_cluster() as cluster:
        dsn = cluster.dsn(cluster.create_database())
        await _setup(dsn)
        pconn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
        aconn = await asyncpg.connect(dsn)
        try:
            best = await _measure([Psycopg(pconn, False), Psycopg(pconn, True), Asyncpg(aconn)])
        finally:
            await pconn.close()
            await aconn.close()
    out: dict[str, Any] = {}
    for d, ops in best.items():
        for op, (wall, cpu) in ops.items():
            out[f"{d}_{op}_us"] = wall
            out[f"{d}_{op}_cpu_us"] = cpu
    for op in REPS:  # psycopg at its best: pipelined where that is faster
        mine = [ops[op] for d, ops in best.items() if d.startswith("psycopg") and op in ops]
        theirs = best["asyncpg"][op]
        out[f"{op}_ratio_psycopg_vs_asyncpg"] = min(w for w, _ in mine) / theirs[0]
        out[f"{op}_cpu_ratio_psycopg_vs_asyncpg"] = min(c for _, c in mine) / theirs[1]
    return out
