"""Soak: SOAK_EVENTS (default 1,000,000) simulator events through the whole bot over loopback:
PbxSimulator -> PbxClient -> EventPipeline -> SQLite outbox -> DeliveryWorker -> recording sender.

Strategy: compact inbound calls (about 10% missed) are emitted in a tight loop with flow control
(the emitter never runs more than a window ahead of the client); every alert is rendered as its
call id, so lost and duplicated alerts are counted exactly per chat. A bare-link run gives the
baseline ratio.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from adapters.pbx.simulator.legs import Leg, bridge
from adapters.pbx.simulator.server import PbxSimulator
from adapters.pbx.v2.client import PbxClient
from bot.alerts.render import Renderer
from bot.cli.app import Application
from bot.config import Settings
from bot.domain import Alert, ChatRef, ChatSettings, MissedCall, OutMessage
from bot.events import PbxEvent
from bot.ports import PacingLimits
from storage.sqlite import SqliteStore

N = int(os.environ.get("SOAK_EVENTS", "1000000"))
DOMAIN, KEY = "soak.onpbx.ru", "soak-key"
EXTS = ("201", "202", "203", "204")  # 204 is bound nowhere
BINDINGS = {ChatRef("console", "a"): ("201",), ChatRef("console", "b"): ("202", "203"),
            ChatRef("console", "c"): ("201", "203")}
WINDOW = 4000  # events the emitter may run ahead of the client
Events = list[tuple[str, dict[str, Any]]]


def call(n: int, t_ms: int) -> tuple[Events, str, bool]:
    """Call number ``n``: (events, extension, missed); every tenth call is missed."""
    ext, missed = EXTS[(n + n // 10) % len(EXTS)], n % 10 == 3  # missed calls hit every extension
    caller = f"7916{n % 10_000_000:07d}"
    a = Leg(f"s{n}-a", "inbound", t_ms, caller, DOMAIN, caller, "", ext, "74951112233")
    b = Leg(f"s{n}-b", "outbound", t_ms, f"{ext}@{DOMAIN}", DOMAIN, caller, "", ext, "74951112233")
    out: Events = [("channel_create", a.create()), ("channel_create", b.create())]
    if missed:
        out += [("channel_destroy", b.destroy("ORIGINATOR_CANCEL")),
                ("channel_destroy", a.destroy("NO_ANSWER"))]
    else:
        out += [("channel_answer", b.answer(t_ms + 900)), ("channel_answer", a.answer(t_ms + 910)),
                ("channel_bridge", bridge(a.uuid, b.uuid)), ("channel_destroy", b.destroy("NORMAL_CLEARING")),
                ("channel_destroy", a.destroy("NORMAL_CLEARING"))]
    return out, ext, missed


class IdRenderer:
    """Renders with the real renderer (so its cost counts) but sends just the call ids."""

    def __init__(self) -> None:
        self.real = Renderer("RU")

    def render(self, alert: Alert, chat: ChatSettings) -> OutMessage:
        self.real.render(alert, chat)
        return OutMessage.plain("ids:" + (alert.call_id if isinstance(alert, MissedCall) else "-"))

    def render_digest(self, alerts: list[Alert], chat: ChatSettings) -> OutMessage:
        self.real.render_digest(alerts, chat)
        ids = (a.call_id if isinstance(a, MissedCall) else "-" for a in alerts)
        return OutMessage.plain("ids:" + ",".join(ids))


class CountingSender:
    """A zero-pacing chat stand-in counting each call id it received, per chat."""

    platform = "console"

    def __init__(self) -> None:
        self.got: dict[ChatRef, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.total = 0

    def limits_for(self, chat: ChatRef) -> PacingLimits:
        return PacingLimits(0.0)

    async def send(self, chat: ChatRef, message: OutMessage) -> str:
        for call_id in message.text.removeprefix("ids:").split(","):
            if call_id != "-":
                self.got[chat][call_id] += 1
                self.total += 1
        return str(self.total)

    async def edit(self, chat: ChatRef, message_id: str, message: OutMessage) -> None:
        return None


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _settle(predicate: Callable[[], bool], within: float) -> None:
    """Poll ``predicate`` every 10 ms for at most ``within`` seconds."""
    for _ in range(int(within / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)


async def _emit(sim: PbxSimulator, n_events: int, behind: Callable[[], int],
                on_call: Callable[[int, str, bool], None] | None = None) -> None:
    """Emit calls until ``n_events`` events went out, never more than WINDOW ahead of the client."""
    n, t0 = 0, 1_780_000_000_000
    while sim.emitted_total < n_events:
        events, ext, missed = call(n, t0 + n * 1000)
        for name, payload in events:
            await sim.emit(name, payload)
        if on_call is not None:
            on_call(n, ext, missed)
        n += 1
        if behind() > WINDOW:
            await _settle(lambda: behind() < WINDOW // 4, 60.0)



async def _bot(db: str, url: str) -> tuple[Application, SqliteStore, CountingSender]:
    settings = Settings(_env_file=None, onpbx_domain=DOMAIN, onpbx_key=SecretStr(KEY),  # type: ignore[call-arg]
                        onpbx_url=url, onpbx_http_url=url,  # the simulator's HTTP API, same port
                        bot_db=db, bot_language="en", onpbx_events="calls")
    store = await SqliteStore.open(db)
    for chat, exts in BINDINGS.items():
        await store.ensure_chat(chat, title=chat.chat_id, language="en", timezone="UTC")
        for ext in exts:
            await store.bind(chat, ext)
    app = Application(settings, store, chat_adapters=False)
    app.worker._renderer = IdRenderer()  # bench-only: alerts carry their call ids for exact counting
    sender = CountingSender()
    app.add_sender(sender)
    await app.start()
    if not await app.pbx.wait_connected(10.0):
        raise RuntimeError("the bot did not connect to the simulator")
    return app, store, sender


async def _whole_bot(n_events: int) -> dict[str, Any]:
    sim = PbxSimulator(DOMAIN, KEY, heartbeat_interval=20.0)
    await sim.start()
    expected: dict[ChatRef, set[str]] = collections.defaultdict(set)

    def on_call(n: int, ext: str, missed: bool) -> None:
        for chat, exts in BINDINGS.items():
            if missed and ext in exts:
                expected[chat].add(f"s{n}-a")

    with tempfile.TemporaryDirectory(prefix="onpbx-soak-") as tmp:
        app, store, sender = await _bot(str(Path(tmp) / "soak.sqlite3"), sim.url)
        await sim.wait_for(lambda: any(s.subs for s in sim.sessions.values()))

        def behind() -> int:
            return sim.emitted_total - app.pbx.events_in

        await _emit(sim, max(n_events // 20, 1000), behind, on_call)  # warm-up: caches, SQLite pages
        await _settle(lambda: behind() == 0, 60.0)
        gc.collect()
        rss0, start, done0 = rss_mb(), time.perf_counter(), sim.emitted_total
        await _emit(sim, n_events, behind, on_call)
        await _settle(lambda: behind() == 0, 120.0)
        elapsed = time.perf_counter() - start
        want = sum(len(v) for v in expected.values())
        await _settle(lambda: sender.total >= want, 120.0)
        await asyncio.sleep(0.5)  # a late duplicate would land now
        gc.collect()
        rss1 = rss_mb()
        depth = await store.outbox_depth()
        await app.stop()
        await store.close()
    await sim.stop()
    lost = sum(len(ids - set(sender.got[chat])) for chat, ids in expected.items())
    dup = sum(c - 1 for got in sender.got.values() for c in got.values() if c > 1)
    extra = sum(len(set(got) - expected[chat]) for chat, got in sender.got.items())
    return {"events": sim.emitted_total, "events_per_s": (sim.emitted_total - done0) / elapsed,
            "rss_growth_mb": rss1 - rss0, "rss_mb": rss1, "alerts_expected": want, "alerts_lost": lost,
            "alerts_duplicated": dup, "alerts_unexpected": extra, "outbox_left": depth}


async def _bare_link(n_events: int) -> float:
    """Baseline: the same traffic into a PbxClient whose event handler does nothing."""
    sim = PbxSimulator(DOMAIN, KEY, heartbeat_interval=20.0)
    await sim.start()

    async def sink(_: PbxEvent) -> None:
        return None

    client = PbxClient(sim.url, DOMAIN, KEY, events={"calls": True}, on_event=sink)
    task = asyncio.create_task(client.run())
    try:
        await client.wait_connected(10.0)
        await sim.wait_for(lambda: any(s.subs for s in sim.sessions.values()))
        start = time.perf_counter()
        await _emit(sim, n_events, lambda: sim.emitted_total - client.events_in)
        await _settle(lambda: client.events_in >= sim.emitted_total, 60.0)
        return sim.emitted_total / (time.perf_counter() - start)
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await sim.stop()


async def run() -> dict[str, Any]:
    """Soak numbers (see module docstring); nothing here asserts, ``make bench`` prints them."""
    logging.disable(logging.WARNING)  # the bot's per-connect INFO lines are not bench output
    try:
        whole = await _whole_bot(N)
        bare = await _bare_link(min(N, 100_000))
    finally:
        logging.disable(logging.NOTSET)
    return {
        "soak_events": whole["events"],
        "soak_events_per_s": whole["events_per_s"],
        "soak_rss_growth_mb": whole["rss_growth_mb"],
        "soak_rss_mb": whole["rss_mb"],
        "soak_alerts_expected": whole["alerts_expected"],
        "soak_alerts_lost": whole["alerts_lost"],
        "soak_alerts_duplicated": whole["alerts_duplicated"],
        "soak_alerts_unexpected": whole["alerts_unexpected"],
        "soak_outbox_left": whole["outbox_left"],
        "soak_bare_link_events_per_s": bare,
        "soak_vs_bare_link_ratio": whole["events_per_s"] / bare,
    }
