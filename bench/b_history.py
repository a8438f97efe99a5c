"""Reconciling a busy day of call history (10,000 records) against the outbox, as a ratio
against parsing the same records alone.

Strategy: one JSON page of 10,000 records shaped like ``mongo_history/search.json`` (30 % missed);
the bot saw half the day live (the ledger) and alerted half of those missed calls (their dedup
keys are in a real SQLite outbox). Baseline: ``json.loads`` + :func:`adapters.pbx.http.wire.history_page`.
Measured: the same parse, then :func:`bot.history.settle` and the settler queueing into SQLite.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from adapters.pbx.http.wire import history_page
from bot.alerts import AlertRouter
from bot.domain import ChatRef, HistoryRecord, MissedCall
from bot.history import HistorySettler, LiveCall, LiveLedger, settle
from storage.sqlite import SqliteStore

N = 10_000
DAY = 86400
CHAT = ChatRef("console", "bench")


def _records(now: int, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(N):
        start = now - DAY + i * (DAY // N)
        talk = 0 if rng.random() < 0.3 else rng.randint(5, 600)
        ext = str(201 + i % 6)
        events: list[dict[str, Any]] = [{"type": "user", "timestamp": start, "uuid": f"b{i}", "number": ext,
                                         "end_stamp": start + 20}]
        if talk:
            events[0]["answered_stamp"] = start + 5
        out.append({"uuid": f"call-{i:06d}", "caller_id_number": f"7916{rng.randint(0, 9_999_999):07d}",
                    "caller_id_name": "", "destination_number": "500", "start_stamp": str(start),
                    "end_stamp": start + 20 + talk, "duration": 20 + talk, "user_talk_time": talk,
                    "hangup_cause": "NORMAL_CLEARING", "accountcode": "inbound", "gateway": "74951112233",
                    "events": events})
    return out


def _parse(text: str) -> list[HistoryRecord]:
    records, _ = history_page(json.loads(text)["data"])
    return records


class _Page:
    def __init__(self, text: str) -> None:
        self.text = text

    async def search(self, start_s: int, end_s: int) -> list[HistoryRecord]:
        return _parse(self.text)


def _ledger(records: list[HistoryRecord]) -> LiveLedger:
    ledger = LiveLedger()
    for r in records[len(records) // 2:]:  # the bot was up for the second half of the day
        verdict = "missed" if r.missed else "answered"
        m = MissedCall(r.uuid, r.caller_number, "", r.extensions, r.destination, "", r.start_s * 1000,
                       r.end_s * 1000, "") if r.missed else None
        ledger.add(LiveCall(r.uuid, r.caller_number, r.destination, r.start_s,
                            verdict, r.missed, missed=m))  # type: ignore[arg-type]
    return ledger


async def run() -> dict[str, float | int]:
    now = int(time.time())
    text = json.dumps({"status": "1", "data": _records(now, random.Random(11))})
    t0 = time.perf_counter()
    parsed = _parse(text)
    parse_s = time.perf_counter() - t0
    ledger = _ledger(parsed)
    t0 = time.perf_counter()
    settle(_parse(text), ledger.calls(), backfill="offline", now_s=now, max_age_s=DAY * 2)
    settle_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqliteStore.open(str(Path(tmp) / "bench.sqlite3"))
        await store.ensure_chat(CHAT, title="bench", language="en", timezone="UTC")
        for ext in ("201", "202", "203", "204", "205", "206"):
            await store.bind(CHAT, ext)
        for call in ledger.calls():
            if call.missed is not None:
                await store.enqueue(f"missed:{call.call_id}:{CHAT}", CHAT, call.missed, now)
        settler = HistorySettler(_Page(text), store, AlertRouter(store, cache_ttl_s=60), ledger,
                                 max_age_s=DAY * 2, clock=lambda: float(now))
        await store.set_setting("history.complete_up_to", str(now - DAY))
        await settler.start()
        t0 = time.perf_counter()
        await settler.settle_gap()
        full_s = time.perf_counter() - t0
        await store.close()
    return {
        "records": N,
        "parse_s": parse_s,
        "parse_and_settle_ratio": settle_s / parse_s,
        "reconcile_into_outbox_s": full_s,
        "reconcile_into_outbox_ratio": full_s / parse_s,
        "alerts_queued": settler.alerts,
    }
