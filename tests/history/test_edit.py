"""An uncertain missed-call alert that was already posted is edited in place when the call
history says the call was answered (real DeliveryWorker, Renderer and MemoryStore)."""

from __future__ import annotations

from bot.alerts import AlertRouter, Renderer
from bot.delivery import DeliveryWorker
from bot.domain import MissedCall
from bot.history import HistorySettler, LiveCall, LiveLedger
from bot.ports import PacingLimits
from storage.memory import MemoryStore
from tests.delivery.fakes import RecordingSender
from tests.history.test_settler import CHAT, NOW, Clock, FakeHistory, rec

UNCERTAIN = MissedCall(
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


async def setup(history: FakeHistory) -> tuple[MemoryStore, HistorySettler, DeliveryWorker, RecordingSender]:
    store = MemoryStore()
    await store.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
    await store.bind(CHAT, "201")
    clock = Clock()
    sender = RecordingSender(platform="console", clock=clock, limits=PacingLimits(0.0))
    worker = DeliveryWorker(store, {"console": sender}, Renderer(), clock=clock)
    ledger = LiveLedger()
    ledger.add(LiveCall("u1", "+79161234567", "500", NOW - 50, "uncertain", True, missed=UNCERTAIN))
    settler = HistorySettler(
        history, store, AlertRouter(store, cache_ttl_s=0), ledger, clock=clock, delay_s=0
    )
    await settler.start()
    await store.enqueue(f"missed:u1:{CHAT}", CHAT, UNCERTAIN, NOW - 40)
    return store, settler, worker, sender


async def test_a_posted_uncertain_alert_is_edited_to_say_answered() -> None:
    store, settler, worker, sender = await setup(FakeHistory(rec("u1", NOW - 50, talk=30)))
    assert await worker.deliver_once() == 1
    [posted] = sender.delivered
    settler.uncertain(NOW - 50)
    await settler.settle_gap()
    assert await worker.deliver_once() == 1
    [_, edit] = sender.delivered
    assert (posted.op, edit.op) == ("send", "edit") and edit.message_id == posted.message_id
    assert "Answered call" in edit.text and "answered after all" in edit.text
    assert await store.outbox_depth() == 0


async def test_an_uncertain_alert_not_posted_yet_goes_out_once_saying_answered() -> None:
    store, settler, worker, sender = await setup(FakeHistory(rec("u1", NOW - 50, talk=30)))
    settler.uncertain(NOW - 50)
    await settler.settle_gap()
    assert await worker.deliver_once() == 1
    [sent] = sender.delivered
    assert sent.op == "send" and "answered after all" in sent.text
    assert await store.outbox_depth() == 0


async def test_history_says_missed_the_posted_alert_loses_its_doubt_in_place() -> None:
    store, settler, worker, sender = await setup(FakeHistory(rec("u1", NOW - 50)))
    await worker.deliver_once()
    settler.uncertain(NOW - 50)
    await settler.settle_gap()
    await worker.deliver_once()
    assert [s.op for s in sender.delivered] == ["send", "edit"]  # one message, no second alert
    [entry] = [e for e in await store.pending_for_chat(CHAT)] or [None]
    assert entry is None and settler.alerts == 1
