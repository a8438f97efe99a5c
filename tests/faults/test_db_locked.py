"""The database is locked by another process for a few seconds: commands wait (or fail with a
clear reply when the lock outlasts the busy timeout) and alerts of events that arrived meanwhile
are delivered afterwards."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest

from adapters.console.adapter import ConsoleChat
from tests.faults.harness import BotRig, call_events

pytestmark = pytest.mark.timeout(40)

LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


async def _lock(db: Path, seconds: float) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOCKER, str(db), str(seconds), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    assert await asyncio.wait_for(proc.stdout.readline(), 10) == b"locked\n"
    return proc


@pytest.mark.parametrize("busy_ms", [5000, 300])
async def test_lock_delays_but_loses_no_alert(tmp_path: Path, busy_ms: int) -> None:
    async with BotRig(tmp_path, busy_ms=busy_ms) as rig:
        assert rig.app is not None
        out = io.StringIO()
        console = ConsoleChat(rig.app.core, out)
        proc = await _lock(rig.db, 1.5)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await rig.emit(call_events("79161110011", "201", missed=True))
        await console.handle_line("/bind 202")
        reply = out.getvalue()
        if busy_ms > 1500:  # waited for the lock, then worked
            assert loop.time() - started > 1.0
            assert "202" in reply and "locked" not in reply.lower(), reply
        else:  # gave up quickly with a clear reply, not a traceback
            assert loop.time() - started < 1.4
            assert "database is busy" in reply, reply
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        await rig.wait_missed(1, 10.0)
        await rig.settle()
        assert len(rig.missed_texts()) == 1
        out.truncate(0)
        await console.handle_line("/who")  # keeps serving once the lock is gone
        assert "201" in out.getvalue()
