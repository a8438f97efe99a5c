"""SIGKILL mid-call: a bot process (a real subprocess on the SQLite file) sees channel_create and
is killed without any shutdown; a new bot on the same file gets the hangup and alerts once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.faults.harness import UNCERTAIN, BotRig, call_events, settings_for, until

pytestmark = pytest.mark.timeout(60)
ROOT = str(Path(__file__).resolve().parents[2])

CHILD = """
import asyncio, sys
from bot.cli.app import Application
from storage.sqlite import SqliteStore
from tests.faults.harness import CHAT, settings_for

async def main(url, db):
    store = await SqliteStore.open(db)
    await store.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
    await store.bind(CHAT, "201")
    app = Application(settings_for(url, db), store, chat_adapters=False)
    await app.start()
    await app.pbx.wait_connected(10.0)
    print("up", flush=True)
    seen = -1
    while True:
        if app.pbx.events_in != seen:
            seen = app.pbx.events_in
            print("events", seen, flush=True)
        await asyncio.sleep(0.01)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def _read_until(proc: asyncio.subprocess.Process, wanted: bytes) -> None:
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        while (line := await proc.stdout.readline()) != wanted:
            assert line, "the child bot exited early"


async def _snapshot_written(db: Path, call_id: str, within: float = 10.0) -> None:
    """Poll the child's database (our own connection) until the call's snapshot row exists."""

    def present() -> bool:
        with contextlib.closing(sqlite3.connect(db, timeout=1.0)) as conn:
            try:
                row = conn.execute("SELECT 1 FROM tracked_calls WHERE call_id = ?", [call_id]).fetchone()
            except sqlite3.OperationalError:  # locked by the child's write, or not migrated yet
                return False
            return row is not None

    await until(present, within)


async def test_sigkill_between_create_and_destroy(tmp_path: Path) -> None:
    rig = BotRig(tmp_path)
    await rig.sim.start()
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, rig.sim.url, str(rig.db), stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        try:
            await _read_until(proc, b"up\n")
            await rig.sim.wait_for(lambda: any(s.subs for s in rig.sim.sessions.values()))
            events = call_events("79161110061", "201", missed=True)
            await rig.emit(events[:2])
            await _read_until(proc, b"events 2\n")
            await _snapshot_written(rig.db, events[0][1]["uuid"])
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        rig.settings = settings_for(rig.sim.url, rig.db)
        await rig.start_bot()
        await rig.emit(events[2:])
        await rig.wait_missed(1)
        await rig.settle()  # every event handled, outbox drained: no duplicate can follow
        assert len(rig.missed_texts()) == 1
        assert "9161110061" in "".join(ch for ch in rig.missed_texts()[0] if ch.isdigit())
        assert UNCERTAIN in rig.missed_texts()[0]  # the bot was down mid-call: outcome unknown
    finally:
        await rig.__aexit__(None, None, None)
