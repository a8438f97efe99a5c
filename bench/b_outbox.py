"""Outbox delivery: cost of the worker per alert against the bare store, and the shape of a
1,000-missed-call burst to one Telegram group (messages, per-minute peak, lag) in fake time."""

from __future__ import annotations

import time

from bot.delivery.worker import DeliveryWorker
from bot.domain import Alert, ChatRef, ChatSettings, MissedCall, OutMessage
from bot.ports import PacingLimits
from storage.memory import MemoryStore

T0 = 1_780_000_000.0


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class _Sender:
    platform = "telegram"

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock
        self.times: list[float] = []

    def limits_for(self, chat: ChatRef) -> PacingLimits:
        return PacingLimits(1.0, 20 if chat.chat_id.startswith("-") else None)

    async def send(self, chat: ChatRef, message: OutMessage) -> str:
        self.times.append(self.clock.now)
        return str(len(self.times))

    async def edit(self, chat: ChatRef, message_id: str, message: OutMessage) -> None:
        self.times.append(self.clock.now)


class _Renderer:
    def render(self, alert: Alert, chat: ChatSettings) -> OutMessage:
        return OutMessage.plain(alert.kind)

    def render_digest(self, alerts: list[Alert], chat: ChatSettings) -> OutMessage:
        return OutMessage.plain(f"{len(alerts)} alerts")


def _missed(n: int) -> MissedCall:
    return MissedCall(f"c{n}", "+7999", "", ("101",), "100", "gw", 0, 1000, "NO_ANSWER")


async def _store(chats: list[ChatRef]) -> MemoryStore:
    store = MemoryStore()
    for chat in chats:
        await store.ensure_chat(chat, title="", language="en", timezone="UTC")
    return store


async def _baseline(chats: list[ChatRef], per_chat: int) -> float:
    store, start = await _store(chats), time.perf_counter()
    for n in range(per_chat):
        for chat in chats:
            await store.enqueue(f"{chat}:{n}", chat, _missed(n), T0)
    for entry in await store.due(T0, limit=len(chats) * per_chat):
        await store.mark_delivered([entry.id])
    return time.perf_counter() - start


async def _spread(chats: list[ChatRef], per_chat: int) -> tuple[float, int]:
    """Alerts arriving one per chat per 2 s (below the digest threshold): all single messages."""
    store, clock = await _store(chats), _Clock()
    sender = _Sender(clock)
    worker = DeliveryWorker(store, {"telegram": sender}, _Renderer(), clock=clock, sleep=clock.sleep)
    start = time.perf_counter()
    for n in range(per_chat):
        for chat in chats:
            await store.enqueue(f"{chat}:{n}", chat, _missed(n), clock.now)
        await worker.deliver_once()
        clock.now += 2.0
    while await store.outbox_depth():
        await worker.deliver_once()
        clock.now = max(clock.now, worker.next_wake or clock.now)
    return time.perf_counter() - start, len(sender.times)


async def _burst() -> dict[str, float]:
    group = ChatRef("telegram", "-100")
    store, clock = await _store([group]), _Clock()
    sender = _Sender(clock)
    worker = DeliveryWorker(store, {"telegram": sender}, _Renderer(), clock=clock, sleep=clock.sleep)
    arrivals, n = [T0 + k * 0.1 for k in range(1000)], 0
    while n < 1000 or await store.outbox_depth():
        while n < 1000 and arrivals[n] <= clock.now:
            await store.enqueue(f"k{n}", group, _missed(n), arrivals[n])
            n += 1
        await worker.deliver_once()
        wake = worker.next_wake or clock.now
        clock.now = max(clock.now, wake if n == 1000 else min(wake, arrivals[n]))
    times = sender.times
    return {
        "burst_messages": len(times),
        "burst_peak_per_60s": max(sum(1 for u in times if t <= u < t + 60) for t in times),
        "burst_lag_after_last_call_s": times[-1] - arrivals[-1],
        "burst_alerts_covered": worker.delivered,
    }


async def run() -> dict[str, float]:
    chats = [ChatRef("telegram", str(1000 + k)) for k in range(50)]
    base = await _baseline(chats, 40)
    took, messages = await _spread(chats, 40)
    return {
        "alerts": len(chats) * 40,
        "messages": messages,
        "worker_us_per_alert": took / (len(chats) * 40) * 1e6,
        "worker_vs_bare_store": took / base,
        **await _burst(),
    }
