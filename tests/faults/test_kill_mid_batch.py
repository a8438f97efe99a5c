"""SIGKILL in the middle of a group commit (#14): a bot process (a real subprocess on the SQLite
file) has written a batch of missed calls inside its one transaction and is killed before COMMIT.
The file then holds every alert of the batch before it and none of the killed batch (all or
nothing); a new bot on the same file, given the same calls again (as the PBX history backfill
would), alerts every missed call of both batches exactly once."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import CHAT, BotRig, call_events, settings_for, until

pytestmark = pytest.mark.timeout(90)
ROOT = str(Path(__file__).resolve().parents[2])
BEFORE, KILLED = 3, 5  # missed calls committed before the killed batch, and in it
NUMBER = re.compile(r"\+7 916 222-\d{2}-\d{2}")

# The child: a real Application on a SqliteStore whose apply() (1) holds the batch with the
# "gate" call until every event of the test was read, so the next batch is all of the killed
# calls, and (2) runs that batch's writes inside the store's transaction, then hangs before
# COMMIT. Its chat sender never answers, so nothing is marked delivered or rescheduled.
CHILD = """
import asyncio, sys, time
from bot.cli.app import Application
from bot.writes import Enqueue
from storage import sqlite as sq
from tests.faults.harness import CHAT, settings_for

def apply_then_hang(db, writes):
    sq._apply(db, writes)
    n = sum(1 for op in writes if isinstance(op, Enqueue))
    print("in-transaction", n, flush=True)
    time.sleep(600)

class Hanging:
    platform = "console"
    def limits_for(self, chat):
        from bot.ports import PacingLimits
        return PacingLimits(0.0)
    async def send(self, chat, message):
        await asyncio.Event().wait()
    async def edit(self, chat, message_id, message):
        await asyncio.Event().wait()

class KillableStore(sq.SqliteStore):
    app = None
    total = 0
    async def apply(self, writes):
        keys = [op.dedup_key for op in writes if isinstance(op, Enqueue)]
        if any("-gate-" in k for k in keys):
            print("gate", flush=True)
            while self.app.pbx.events_in < self.total:
                await asyncio.sleep(0.01)
        if any("-kill-" in k for k in keys):
            return await self.run(apply_then_hang, list(writes))
        return await super().apply(writes)

async def main(url, db, total):
    store = await KillableStore.open(db)
    await store.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
    await store.bind(CHAT, "201")
    app = Application(settings_for(url, db), store, chat_adapters=False)
    app.add_sender(Hanging())
    KillableStore.app, KillableStore.total = app, int(total)
    await app.start()
    await app.pbx.wait_connected(10.0)
    print("up", flush=True)
    await asyncio.Event().wait()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


async def _line(proc: asyncio.subprocess.Process, prefix: bytes) -> bytes:
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        while not (line := await proc.stdout.readline()).startswith(prefix):
            assert line, "the child bot exited early"
    return line


def _calls(kind: str, n: int, first: int) -> list[list[tuple[str, dict[str, Any]]]]:
    return [call_events(f"7916222{first + i:04d}", "201", missed=True, uid=f"{first + i:04d}-{kind}")
            for i in range(n)]


def _callers(rig: BotRig) -> list[str]:
    """Every caller number in the chat's messages (a digest lists several), as digits."""
    found = [m for s in rig.sender.to(CHAT) for m in NUMBER.findall(s.text)]
    return [re.sub(r"\D", "", m) for m in found]


def _outbox_keys(db: Path) -> list[str]:
    with closing(sqlite3.connect(db, timeout=5.0)) as conn:
        return [row[0] for row in conn.execute("SELECT dedup_key FROM outbox ORDER BY id")]


async def test_sigkill_mid_batch_then_restart_alerts_each_missed_call_once(tmp_path: Path) -> None:
    rig = BotRig(tmp_path)
    await rig.sim.start()
    before = [*_calls("done", BEFORE - 1, 0), *_calls("gate", 1, BEFORE - 1)]
    killed = _calls("kill", KILLED, BEFORE)
    total = sum(len(c) for c in before + killed)
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, rig.sim.url, str(rig.db), str(total),
            stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        )  # fmt: skip
        try:
            await _line(proc, b"up")
            await rig.sim.wait_for(lambda: any(s.subs for s in rig.sim.sessions.values()))
            for events in before:
                await rig.emit(events)
            await _line(proc, b"gate")
            for events in killed:
                await rig.emit(events)
            line = await _line(proc, b"in-transaction")
            assert line.split() == [b"in-transaction", str(KILLED).encode()]  # one batch, all five
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()

        keys = _outbox_keys(rig.db)
        assert len(keys) == BEFORE and all("-kill-" not in k for k in keys), keys

        rig.settings = settings_for(rig.sim.url, rig.db)
        await rig.start_bot()
        for events in before + killed:  # the same calls again: a replay must not duplicate
            await rig.emit(events)
        await until(lambda: len(set(_callers(rig))) >= BEFORE + KILLED, 15.0)
        await rig.settle(within=15.0)  # every event handled, outbox drained: nothing more can come
        want = [f"79162220{i:03d}" for i in range(BEFORE + KILLED)]
        assert sorted(_callers(rig)) == want  # each one once, singly or in a digest
    finally:
        await rig.__aexit__(None, None, None)
