"""Call tracker throughput and memory: 1,000,000 synthetic wire events through CallTracker and
AlertRouter on MemoryStore, against a dict-append baseline over the same events.

Calls overlap (one starts every 50 ms, each lasts up to ~20 s); 60% are answered by one of two
ringing legs, 30% are missed, 5% leave a B-leg without a destroy and 5% are lone legs that never
end (evicted by a 120 s TTL on a fake clock). ``tracker_ratio_vs_baseline`` is tracker events/s
divided by baseline events/s; RSS growth is measured between the end of warm-up and the end.
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections.abc import Iterator
from typing import Any

from bot.alerts.router import AlertRouter
from bot.domain import ChatRef
from bot.events import ChannelAnswer, ChannelBridge, ChannelCreate, ChannelDestroy, PbxEvent
from bot.tracking.calls import CallTracker
from storage.memory import MemoryStore

TOTAL_EVENTS = int(os.environ.get("BENCH_TRACKER_EVENTS", "1000000"))
WARMUP_EVENTS = 100_000
CALLS_PER_CHUNK = 5_000
T0 = 1_700_000_000.0
D = "bench.onpbx.ru"

Timed = list[tuple[float, PbxEvent]]


def _call_events(i: int, start: float, rng: random.Random) -> Timed:
    a, b1, b2 = f"a{i}", f"b{i}x", f"b{i}y"
    caller, ext1, ext2 = (
        f"79{i % 1_000_000_000:09d}",
        str(rng.randrange(200, 250)),
        str(rng.randrange(200, 250)),
    )
    ms = round(start * 1000)
    kind = rng.random()
    if kind >= 0.95:  # a lone leg that never ends: evicted by TTL
        return [(start, ChannelCreate(f"u{i}", "outbound", ms, endpoint=f"{ext1}@{D}", caller_number=caller,
                                      destination_number=ext1))]  # fmt: skip
    gate = "74951112233"
    events: list[PbxEvent] = [
        ChannelCreate(a, "inbound", ms, endpoint=caller, caller_number=caller, destination_number="500",
                      gate=gate),
        ChannelCreate(b1, "outbound", ms + 100, endpoint=f"{ext1}@{D}", caller_number=caller,
                      destination_number=ext1, gate=gate),
        ChannelCreate(b2, "outbound", ms + 150, endpoint=f"{ext2}@{D}", caller_number=caller,
                      destination_number=ext2, gate=gate),
    ]  # fmt: skip
    if kind < 0.6:
        events += [ChannelAnswer(b1), ChannelBridge(a, b1), ChannelDestroy(b2, hangup_cause="LOSE_RACE"),
                   ChannelDestroy(b1, hangup_cause="NORMAL_CLEARING"),
                   ChannelDestroy(a, hangup_cause="NORMAL_CLEARING")]  # fmt: skip
    elif kind < 0.9:
        events += [ChannelDestroy(b1, hangup_cause="NO_ANSWER"), ChannelDestroy(b2, hangup_cause="NO_ANSWER"),
                   ChannelDestroy(a, hangup_cause="ORIGINATOR_CANCEL")]  # fmt: skip
    else:  # b2 never gets its destroy
        events += [
            ChannelDestroy(b1, hangup_cause="NO_ANSWER"),
            ChannelDestroy(a, hangup_cause="ORIGINATOR_CANCEL"),
        ]
    step = rng.uniform(0.5, 3.0)
    return [(start + k * step, ev) for k, ev in enumerate(events)]


def _chunks(total: int, seed: int = 7) -> Iterator[Timed]:
    """Deterministic, time-ordered event chunks (calls overlap inside a chunk)."""
    rng = random.Random(seed)
    produced, call = 0, 0
    while produced < total:
        chunk: Timed = []
        for _ in range(CALLS_PER_CHUNK):
            chunk += _call_events(call, T0 + call * 0.05, rng)
            call += 1
        chunk.sort(key=lambda pair: pair[0])
        chunk = chunk[: total - produced]
        produced += len(chunk)
        yield chunk


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _baseline(chunk: Timed, sink: dict[type, list[PbxEvent]]) -> float:
    start = time.perf_counter()
    for _at, ev in chunk:
        bucket = sink.get(type(ev))
        if bucket is None:
            bucket = sink[type(ev)] = []
        bucket.append(ev)
    elapsed = time.perf_counter() - start
    sink.clear()
    return elapsed


class _Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


async def run() -> dict[str, Any]:
    store = MemoryStore()
    chat = ChatRef("telegram", "-1")
    await store.ensure_chat(chat, title="bench", language="ru", timezone="Europe/Moscow")
    await store.bind(chat, "201")
    clock = _Clock()
    tracker = CallTracker(clock=clock, ttl_s=120)
    router = AlertRouter(store)
    sink: dict[type, list[PbxEvent]] = {}
    done, enqueued, tracked_s, base_s, next_tick = 0, 0, 0.0, 0.0, T0 + 1
    rss_warm: float | None = None
    for chunk in _chunks(TOTAL_EVENTS):
        base_s += _baseline(chunk, sink)
        start = time.perf_counter()
        for at, ev in chunk:
            clock.t = at
            for update in tracker.feed(ev):
                enqueued += await router.on_call_update(update, at)
            if at >= next_tick:  # the app ticks every second
                next_tick = at + 1
                for update in tracker.evict(at):
                    enqueued += await router.on_call_update(update, at)
        tracked_s += time.perf_counter() - start
        done += len(chunk)
        if rss_warm is None and done >= WARMUP_EVENTS:
            gc.collect()
            rss_warm = _rss_mb()
    gc.collect()
    events_per_s = done / tracked_s
    baseline_per_s = done / base_s
    return {
        "tracker_events_per_s": round(events_per_s),
        "tracker_baseline_events_per_s": round(baseline_per_s),
        "tracker_ratio_vs_baseline": events_per_s / baseline_per_s,
        "tracker_rss_growth_mb": _rss_mb() - (rss_warm or 0.0),
        "tracker_calls_tracked_at_end": len(tracker),
        "tracker_alerts_enqueued": enqueued,
    }
