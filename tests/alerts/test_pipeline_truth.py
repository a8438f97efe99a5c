"""Issue #10 item 9, nothing decided is lost: a missed call whose alert cannot be stored even after
the retries stays pending, is stored on a later tick, and survives a restart in between — and it
is alerted exactly once either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.domain import Alert, ChatRef, MissedCall
from bot.errors import StorageError
from storage.sqlite import SqliteStore
from tests.alerts.test_alerts import G1, office
from tests.alerts.test_pipeline import make, outbox, run
from tests.tracking.test_calls import Clock, destroy, missed_group_call


class OutboxDown(SqliteStore):
    """A real SQLite store whose outbox refuses writes while ``down`` (a locked outbox table)."""

    down = True
    refused = 0

    async def enqueue(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> bool:
        if self.down:
            self.refused += 1
            raise StorageError("database is locked")
        return await super().enqueue(dedup_key, chat, alert, now)


async def decide_a_missed_call(store: SqliteStore, clock: Clock) -> Any:
    await office(store)
    pipe = make(store, clock)
    pipe._retry_s = (0.0, 0.0)  # the retries inside one event, without waiting
    ends = [destroy("A1-B201", "NO_ANSWER"), destroy("A1-B202", "NO_ANSWER"),
            destroy("A1", "ORIGINATOR_CANCEL", "inbound")]  # fmt: skip
    await run(pipe, clock, [*missed_group_call(clock), *ends])
    return pipe


async def test_an_alert_that_could_not_be_stored_is_stored_on_a_later_tick_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    store = await OutboxDown.open(str(tmp_path / "bot.sqlite3"))
    pipe = await decide_a_missed_call(store, clock)
    assert store.refused == 3 and pipe.pending == 1 and (await outbox(store, G1))[G1] == []
    assert "not stored, retrying every tick" in caplog.text
    [decided] = await store.load_calls()  # the decision took the call's row: a restart keeps it
    assert decided["call_id"] == "A1" and decided["decided"]["kind"] == "missed"
    await pipe.tick()  # still down: kept
    assert pipe.pending == 1 and store.refused == 4
    store.down = False
    await pipe.tick()
    await pipe.tick()
    [alert] = (await outbox(store, G1))[G1]
    assert isinstance(alert, MissedCall) and alert.call_id == "A1"
    assert alert.extensions == ("500", "201", "202")
    assert pipe.pending == 0 and await store.load_calls() == []
    await store.close()


async def test_a_restart_before_the_retry_still_alerts_exactly_once(tmp_path: Path) -> None:
    clock, db = Clock(), tmp_path / "bot.sqlite3"
    store = await OutboxDown.open(str(db))
    await decide_a_missed_call(store, clock)
    await store.close()  # the process dies with the alert undelivered to the outbox

    for _ in range(2):  # and restarts twice: the second start must not alert again
        healthy = await SqliteStore.open(str(db))
        pipe = make(healthy, clock)
        await pipe.restore()
        assert pipe._tracker.active_calls() == []  # a decided call is not a live call again
        await pipe.tick()
        [alert] = (await outbox(healthy, G1))[G1]
        assert isinstance(alert, MissedCall) and alert.call_id == "A1" and not alert.uncertain
        assert await healthy.load_calls() == []
        await healthy.close()
