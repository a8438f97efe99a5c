"""Missed-call alert latency and group burst through the whole bot, over loopback.

Strategy: simulator emit() -> PbxClient -> pipeline -> SQLite outbox (temp file) -> DeliveryWorker
-> TelegramSender (aiogram) -> stand-in, which stamps each sendMessage on arrival; callers are
unique, so each alert is matched to the emit time of its A-leg ``channel_destroy``.

The baseline is a bare ``sendMessage`` round trip through the same aiogram client, paced like the
alerts (100/s): on this machine a send after 10 ms of idle takes about 4x one sent back to back
(0.8 vs 0.19 ms to arrival, measured), so a hot baseline would compare a cold path with a warm
one. The back-to-back figure is printed too (``alert_latency_baseline_hot_ms`` and
``alert_latency_p50_vs_hot_baseline``), so both readings are on record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from adapters.pbx.simulator import PbxSimulator
from adapters.telegram import TelegramSender
from bot.cli.app import Application
from bot.config import Settings
from bot.domain import ChatRef, OutMessage
from bot.ports import ChatSender, PacingLimits
from storage.sqlite import SqliteStore
from tests.telegram.standin import StandIn

DOMAIN, KEY, TOKEN = "bench.onpbx.ru", "bench-key", "123456:bench-token"
CHATS, RATE, LATENCY_S = 100, 100.0, 10.0
BURST, BURST_CHAT, BURST_EXT, BURST_LIMIT_S = 1000, -1001, "399", 150.0
NUMBER = re.compile(r"\+7 \d{3} \d{3}-\d{2}-\d{2}")
DIGEST = re.compile(r"^(\d+) missed calls?\b")


class TimedStandIn(StandIn):
    """The stand-in that also notes (arrival time, chat id, text) of every sendMessage."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, str, str]] = []
        self.on_message: Callable[[float, str, str], None] | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        if request.match_info["method"] == "sendMessage":
            form = await request.post()
            chat_id, text = str(form.get("chat_id")), str(form.get("text"))
            self.arrivals.append((arrived, chat_id, text))
            if self.on_message is not None:
                self.on_message(arrived, chat_id, text)
        return await super()._handle(request)


class Unpaced:
    """The real TelegramSender with per-chat pacing turned off (latency run only)."""

    platform = "telegram"

    def __init__(self, inner: TelegramSender) -> None:
        self.inner = inner

    def limits_for(self, chat: ChatRef) -> PacingLimits:
        return PacingLimits(min_interval_s=0.0, per_minute=None)

    async def send(self, chat: ChatRef, message: OutMessage) -> str:
        return await self.inner.send(chat, message)

    async def edit(self, chat: ChatRef, message_id: str, message: OutMessage) -> None:
        await self.inner.edit(chat, message_id, message)


def caller(i: int, base: int) -> str:
    return f"7916{base + i:07d}"


def digits(formatted: str) -> str:
    return re.sub(r"\D", "", formatted)


async def missed_call(sim: PbxSimulator, i: int, number: str, ext: str) -> float:
    """One compact missed call; returns the perf_counter time the A-leg destroy was emitted."""
    ms = int(time.time() * 1000)
    a, b = f"a-{number}", f"b-{number}"
    common = {"domain": DOMAIN, "caller_number": number, "caller_name": number,
              "destination_host": DOMAIN, "gate": "74951112233", "diversion": "", "created_stamp": ms,
              "state": "CS_INIT"}
    await sim.emit("channel_create", {**common, "uuid": a, "direction": "inbound", "endpoint": number,
                                      "destination_number": ext})
    await sim.emit("channel_create", {**common, "uuid": b, "direction": "outbound",
                                      "endpoint": f"{ext}@{DOMAIN}", "destination_number": ext})
    await sim.emit("channel_destroy", {"uuid": b, "direction": "outbound", "endpoint": f"{ext}@{DOMAIN}",
                                       "hangup_cause": "ORIGINATOR_CANCEL"})
    emitted = time.perf_counter()
    await sim.emit("channel_destroy", {"uuid": a, "direction": "inbound", "endpoint": number,
                                       "hangup_cause": "ORIGINATOR_CANCEL"})
    return emitted


async def paced(rate: float, n: int, one: Callable[[int], Awaitable[None]]) -> None:
    start = time.perf_counter()
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await one(i)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def latency_run(
    sim: PbxSimulator, api: TimedStandIn, app: Application, sender: TelegramSender
) -> dict[str, Any]:
    app.add_sender(Unpaced(TelegramSender(sender.bot, rate=0.0)))  # no global or per-chat pacing
    emitted: dict[str, float] = {}
    latencies: list[float] = []
    total = int(RATE * LATENCY_S)
    done = asyncio.Event()

    def seen(at: float, chat_id: str, text: str) -> None:
        for found in NUMBER.findall(text):
            start = emitted.pop(digits(found), None)
            if start is not None:
                latencies.append((at - start) * 1000)
        if len(latencies) >= total:
            done.set()

    api.on_message = seen

    async def one(i: int) -> None:
        number = caller(i, 1_000_000)
        emitted[number] = await missed_call(sim, i, number, str(200 + i % CHATS))

    await paced(RATE, total, one)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10.0):
            await done.wait()
    api.on_message = None
    return {"alert_latency_calls": total, "alert_latency_matched": len(latencies),
            "alert_latency_p50_ms": round(pct(latencies, 0.50), 2),
            "alert_latency_p99_ms": round(pct(latencies, 0.99), 2),
            "alert_latency_max_ms": round(max(latencies), 2)}


def covered(text: str) -> int:
    """Calls a message covers: a digest's count heading, or 1 for a single alert."""
    text = re.sub(r"<[^>]+>", "", text)
    head = DIGEST.match(text)
    if head:
        return int(head.group(1))
    return 1 if "Missed call" in text.partition("\n")[0] else 0  # the title follows an emoji


async def burst_run(
    sim: PbxSimulator, api: TimedStandIn, app: Application, sender: ChatSender
) -> dict[str, Any]:
    app.add_sender(sender)  # the real limits: a group gets 1 msg/s and at most 20 a minute
    chat = str(BURST_CHAT)
    first = len(api.arrivals)
    started = time.perf_counter()
    for i in range(BURST):
        await missed_call(sim, i, caller(i, 5_000_000), BURST_EXT)
    emitted_s = time.perf_counter() - started
    mine: list[tuple[float, str, str]] = []
    while time.perf_counter() - started < BURST_LIMIT_S:
        mine = [m for m in api.arrivals[first:] if m[1] == chat]
        if sum(covered(m[2]) for m in mine) >= BURST:
            break
        await asyncio.sleep(0.1)
    times = [m[0] for m in mine]
    per_min = max((sum(1 for u in times if t <= u < t + 60.0) for t in times), default=0)
    return {"burst_emit_s": round(emitted_s, 2), "burst_messages_sent": len(mine),
            "burst_calls_covered": sum(covered(m[2]) for m in mine),
            "burst_all_covered_s": round((times[-1] - started) if times else 0.0, 2),
            "burst_max_messages_per_min": per_min}


async def baseline(
    api: TimedStandIn, sender: TelegramSender, n: int = 300, rate: float | None = None
) -> float:
    """The stand-in round trip of a bare sendMessage through aiogram (median, ms): back to back,
    or ``rate`` per second like the alerts (see module docstring)."""
    took: list[float] = []

    async def one(_: int) -> None:
        begun = time.perf_counter()
        await sender.bot.send_message(chat_id=1, text="x")
        took.append((time.perf_counter() - begun) * 1000)

    if rate is None:
        for i in range(n):
            await one(i)
    else:
        await paced(rate, n, one)
    return statistics.median(took)


async def setup(app: Application) -> None:
    chats = [(ChatRef("telegram", str(1000 + i)), str(200 + i)) for i in range(CHATS)]
    for chat, ext in [*chats, (ChatRef("telegram", str(BURST_CHAT)), BURST_EXT)]:
        await app.store.ensure_chat(chat, title="", language="en", timezone="Europe/Moscow")
        await app.store.bind(chat, ext)
    app.router.invalidate()


async def run() -> dict[str, Any]:
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        api = TimedStandIn()
        async with api:
            sim = PbxSimulator(DOMAIN, KEY)
            await sim.start()
            store = await SqliteStore.open(str(Path(tmp) / "bench.sqlite3"))
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, telegram_bot_token=SecretStr(TOKEN), telegram_api_url=api.url,
                onpbx_domain=DOMAIN, onpbx_key=SecretStr(KEY), onpbx_url=sim.url,
                onpbx_http_url=sim.http_url,  # the simulator's HTTP API: never the vendor's host
                bot_language="en", bot_db=str(Path(tmp) / "bench.sqlite3"),
            )
            app = Application(settings, store)
            try:
                await setup(app)
                await app.start()
                await sim.wait_for(lambda: any(s.wants("channel_create") for s in sim.sessions.values()))
                sender = app.adapters[0].sender
                hot = await baseline(api, sender)
                base = await baseline(api, sender, rate=RATE)
                out: dict[str, Any] = {"alert_latency_baseline_ms": round(base, 2),
                                       "alert_latency_baseline_hot_ms": round(hot, 2)}
                out.update(await latency_run(sim, api, app, sender))
                out["alert_latency_p50_vs_baseline"] = round(out["alert_latency_p50_ms"] / base, 1)
                out["alert_latency_p50_vs_hot_baseline"] = round(out["alert_latency_p50_ms"] / hot, 1)
                out.update(await burst_run(sim, api, app, sender))
                return out
            finally:
                await app.stop()
                await store.close()
                await sim.stop()
