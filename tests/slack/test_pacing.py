"""Pacing, timed: the real DeliveryWorker (run loop, real clock) with SlackSender against the
stand-in keeps about one message a second per channel, and folds a backlog past the threshold."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest

from adapters.slack.sender import SlackSender, build_web_client
from bot.delivery.worker import DeliveryWorker
from bot.domain import Alert, ChatRef, ChatSettings, MissedCall, OutMessage
from storage.memory import MemoryStore
from tests.slack.standin import SlackStandIn

pytestmark = pytest.mark.timeout(20)
CHANNEL = ChatRef("slack", "C0PACE")
JITTER = 0.05  # timer and event-loop slack allowed under the 1 s interval


class TextRenderer:
    def render(self, alert: Alert, chat: ChatSettings) -> OutMessage:
        return OutMessage.plain(f"missed {getattr(alert, 'call_id', '?')}")

    def render_digest(self, alerts: list[Alert], chat: ChatSettings) -> OutMessage:
        return OutMessage.plain(f"{len(alerts)} alerts")


def missed(n: int) -> MissedCall:
    return MissedCall(f"call-{n}", "79161234567", "Ivan", ("101",), "100", "gw", 0, 1, "NO_ANSWER")


@pytest.fixture
async def store() -> MemoryStore:
    s = MemoryStore()
    await s.ensure_chat(CHANNEL, title="pace", language="en", timezone="UTC")
    return s


@pytest.fixture
async def worker(standin: SlackStandIn, store: MemoryStore) -> AsyncIterator[DeliveryWorker]:
    sender = SlackSender(build_web_client("xoxb-pace-token", standin.api_url))
    w = DeliveryWorker(store, {"slack": sender}, TextRenderer(), idle_poll=0.2)
    task = asyncio.create_task(w.run())
    yield w
    await w.stop()
    await task


async def arrivals(standin: SlackStandIn, count: int) -> tuple[list[float], list[str]]:
    """Monotonic times at which the stand-in received each of ``count`` chat.postMessage calls."""
    times: list[float] = []
    for n in range(1, count + 1):
        await standin.wait_for(lambda n=n: len(standin.ok_calls("chat.postMessage")) >= n, within=5.0)
        times.append(time.monotonic())
    return times, [str(c.body["text"]) for c in standin.ok_calls("chat.postMessage")]


async def test_three_alerts_go_one_by_one_about_a_second_apart(
    standin: SlackStandIn, store: MemoryStore, worker: DeliveryWorker
) -> None:
    for n in (1, 2, 3):
        assert await store.enqueue(f"missed:call-{n}", CHANNEL, missed(n), time.time())
    worker.wake()
    times, texts = await arrivals(standin, 3)
    assert texts == ["missed call-1", "missed call-2", "missed call-3"]  # 3 is not past the threshold
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 1.0 - JITTER for gap in gaps), gaps
    assert all(gap < 3.0 for gap in gaps), gaps  # paced, not stalled (loose: CI machines are busy)
    await asyncio.sleep(0.3)
    assert len(standin.ok_calls("chat.postMessage")) == 3 and await store.outbox_depth() == 0


async def test_a_backlog_past_the_threshold_is_one_digest_and_the_next_alert_waits_a_second(
    standin: SlackStandIn, store: MemoryStore, worker: DeliveryWorker
) -> None:
    for n in range(1, 6):
        assert await store.enqueue(f"missed:call-{n}", CHANNEL, missed(n), time.time())
    worker.wake()
    first, _ = await arrivals(standin, 1)
    assert await store.enqueue("missed:call-6", CHANNEL, missed(6), time.time())
    worker.wake()
    times, texts = await arrivals(standin, 2)
    assert texts == ["5 alerts", "missed call-6"]  # the backlog folded, then the late one alone
    assert times[1] - first[0] >= 1.0 - JITTER
    await asyncio.sleep(0.3)
    assert len(standin.ok_calls("chat.postMessage")) == 2
    assert await store.outbox_depth() == 0 and worker.digests == 1 and worker.delivered == 6
