"""HistorySettler with a real MemoryStore and AlertRouter and a scripted history fake: the
watermark, the gap, retries with backoff, what is queued (one alert, an update, a digest)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.alerts import AlertRouter
from bot.backoff import Backoff
from bot.domain import ChatRef, HistoryRecord, MissedCall, MissedDigest
from bot.errors import PbxError, PbxUnavailable
from bot.history import WATERMARK_KEY, HistorySettler, LiveCall, LiveLedger
from storage.memory import MemoryStore

CHAT = ChatRef("console", "ops")
NOW = 1_780_000_000.0


class FakeHistory:
    """A scripted CallHistory: returns ``records`` (filtered to the span) or raises the next error."""

    def __init__(self, *records: HistoryRecord) -> None:
        self.records = list(records)
        self.errors: list[PbxError] = []
        self.spans: list[tuple[int, int]] = []

    async def search(self, start_s: int, end_s: int) -> list[HistoryRecord]:
        self.spans.append((start_s, end_s))
        if self.errors:
            raise self.errors.pop(0)
        return [r for r in self.records if start_s <= r.start_s < end_s]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def rec(uuid: str, start: float, *, talk: int = 0) -> HistoryRecord:
    return HistoryRecord(
        uuid, "79161234567", "inbound", int(start), int(start) + 6, "", "500", talk, extensions=("201",)
    )


@pytest.fixture
async def store() -> AsyncIterator[MemoryStore]:
    s = MemoryStore()
    await s.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
    await s.bind(CHAT, "201")
    yield s


def make(store: MemoryStore, history: FakeHistory, clock: Clock, sleeps: list[float]) -> HistorySettler:
    async def sleep(s: float) -> None:
        sleeps.append(s)
        await asyncio.sleep(0)

    return HistorySettler(
        history,
        store,
        AlertRouter(store, cache_ttl_s=0),
        LiveLedger(),
        clock=clock,
        max_age_s=3600,
        margin_s=60,
        delay_s=0,
        sleep=sleep,
        backoff=Backoff(base=1.0, jitter=0.0),
    )


async def test_the_first_start_only_records_the_watermark(store: MemoryStore) -> None:
    history, clock = FakeHistory(rec("u1", NOW - 100)), Clock()
    settler = make(store, history, clock, [])
    await settler.start()
    assert await store.get_setting(WATERMARK_KEY) == f"{NOW:.3f}"
    assert await settler.settle_gap() is None and history.spans == []


async def test_a_restart_settles_from_the_stored_watermark_minus_the_margin(store: MemoryStore) -> None:
    await store.set_setting(WATERMARK_KEY, str(NOW - 7200))
    history, clock = (
        FakeHistory(rec("new", NOW - 600), rec("old", NOW - 5000), rec("ok", NOW - 300, talk=9)),
        Clock(),
    )
    settler = make(store, history, clock, [])
    await settler.start()
    result = await settler.settle_gap()
    assert result is not None and history.spans == [(int(NOW - 7200 - 60), int(NOW) + 1)]
    pending = await store.pending_for_chat(CHAT)
    kinds = [(e.dedup_key.split(":")[0], e.alert.kind) for e in pending]
    assert kinds == [("missed", "missed"), ("missed-digest", "missed_digest")]
    alert, digest = pending[0].alert, pending[1].alert
    assert isinstance(alert, MissedCall) and alert.backfill == "offline" and alert.call_id == "new"
    assert isinstance(digest, MissedDigest) and [c.call_id for c in digest.calls] == ["old"]
    assert await store.get_setting(WATERMARK_KEY) == f"{NOW:.3f}"
    await settler.settle_gap()  # nothing open: nothing read
    assert len(history.spans) == 1


async def test_a_failing_history_is_retried_with_backoff_and_the_watermark_waits(store: MemoryStore) -> None:
    await store.set_setting(WATERMARK_KEY, str(NOW - 100))
    history, clock, sleeps = FakeHistory(rec("u1", NOW - 50)), Clock(), []
    history.errors = [PbxUnavailable("down"), PbxUnavailable("down")]
    settler = make(store, history, clock, sleeps)
    await settler.start()
    task = asyncio.create_task(settler.run())
    for _ in range(200):
        if settler.state == "ok":
            break
        if settler.state == "failing":
            assert await store.get_setting(WATERMARK_KEY) == str(NOW - 100)
        await asyncio.sleep(0)
    task.cancel()
    assert settler.state == "ok" and settler.passes == 1 and len(history.spans) == 3
    assert sleeps[1:] == [1.0, 2.0]  # delay_s, then the backoff doubling
    assert len(await store.pending_for_chat(CHAT)) == 1


async def test_the_same_gap_read_twice_alerts_once(store: MemoryStore) -> None:
    history, clock = FakeHistory(rec("u1", NOW - 50)), Clock()
    settler = make(store, history, clock, [])
    await settler.start()
    for _ in range(2):
        settler.link_down()
        settler.link_up()
        await settler.settle_gap()
    assert len(history.spans) == 2 and len(await store.pending_for_chat(CHAT)) == 1


async def test_an_uncertain_alert_that_was_answered_is_updated_in_place(store: MemoryStore) -> None:
    history, clock = FakeHistory(rec("u1", NOW - 50, talk=20)), Clock()
    settler = make(store, history, clock, [])
    await settler.start()
    uncertain = MissedCall(
        "u1",
        "79161234567",
        "",
        ("201",),
        "500",
        "",
        int((NOW - 50) * 1000),
        int((NOW - 40) * 1000),
        "",
        uncertain=True,
    )
    await store.enqueue(f"missed:u1:{CHAT}", CHAT, uncertain, NOW - 40)
    settler.ledger.add(LiveCall("u1", "+79161234567", "500", NOW - 50, "uncertain", True, missed=uncertain))
    settler.uncertain(NOW - 50)
    await settler.settle_gap()
    [entry] = await store.pending_for_chat(CHAT)
    assert entry.version == 2 and isinstance(entry.alert, MissedCall)
    assert entry.alert.backfill == "answered" and not entry.alert.uncertain


async def test_a_gap_that_grows_during_a_pass_stays_open(store: MemoryStore) -> None:
    history, clock = FakeHistory(), Clock()
    settler = make(store, history, clock, [])
    await settler.start()
    settler.link_down()

    async def search(start_s: int, end_s: int) -> list[HistoryRecord]:
        settler.link_down()  # the link dropped again while we read
        return []

    history.search = search  # type: ignore[method-assign]
    await settler.settle_gap()
    assert settler.status()["gap_open"] is True


async def test_an_uncertain_call_not_listed_yet_is_looked_for_again(store: MemoryStore) -> None:
    history, clock = FakeHistory(), Clock()
    settler = make(store, history, clock, [])
    settler.uncertain_retry_s = 0.01
    await settler.start()
    uncertain = MissedCall("u1", "79161234567", "", ("201",), "500", "", int((NOW - 50) * 1000),
                           int((NOW - 40) * 1000), "", uncertain=True)
    settler.ledger.add(LiveCall("u1", "+79161234567", "500", NOW - 50, "uncertain", False, missed=uncertain))
    task = asyncio.create_task(settler.run())
    settler.uncertain(NOW - 50)
    for _ in range(500):
        if settler.passes >= 1:
            break
        await asyncio.sleep(0.001)
    assert settler.passes >= 1 and await store.pending_for_chat(CHAT) == []
    history.records.append(rec("u1", NOW - 50))  # the history lists it now
    for _ in range(2000):
        if await store.pending_for_chat(CHAT):
            break
        await asyncio.sleep(0.001)
    [entry] = await store.pending_for_chat(CHAT)
    assert isinstance(entry.alert, MissedCall) and not entry.alert.uncertain
    assert [c.verdict for c in settler.ledger.calls()] == ["missed"]
    await asyncio.sleep(0.03)  # let a look-again that was already scheduled run
    passes = settler.passes
    await asyncio.sleep(0.05)
    task.cancel()
    assert settler.passes == passes  # settled: no more looking
