"""A whole bot on loopback for fault, security and ops tests: simulator + Application + SQLite.

Strategy: ``BotRig`` starts the simulator, opens a SqliteStore on a tmp file, binds chats to
extensions and runs a real :class:`bot.cli.app.Application` with a zero-pacing RecordingSender;
``missed_call`` / ``answered_call`` emit compact wire sequences straight through the simulator.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from adapters.pbx.simulator.legs import Leg, bridge
from adapters.pbx.simulator.server import PbxSimulator
from adapters.pbx.simulator.v3_server import PbxSimulatorV3
from bot.cli.app import Application
from bot.config import Settings
from bot.domain import ChatRef
from bot.ports import PacingLimits
from storage.sqlite import SqliteStore
from tests.delivery.fakes import RecordingSender

DOMAIN, KEY = "rig.onpbx.ru", "rig-secret-key-0123456789"
CHAT = ChatRef("console", "ops")
TRUNK = "74951112233"
UNCERTAIN = "Call with unknown outcome"
_ids = itertools.count(1)


def settings_for(url: str, db: Path, **extra: Any) -> Settings:
    """Settings for a bot talking to the simulator at ``url`` with the console operator as admin."""
    base: dict[str, Any] = dict(
        _env_file=None, onpbx_domain=DOMAIN, onpbx_key=KEY, onpbx_url=url, bot_db=str(db),
        bot_admins="console:operator", bot_language="en", onpbx_command_timeout=2.0,
    )
    base.update(extra)
    return Settings(**base)


def call_events(caller: str, ext: str, *, missed: bool, t_ms: int = 1_780_000_000_000,
                uid: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """A compact inbound call from ``caller`` to ``ext`` (A-leg + one B-leg), missed or answered."""
    uid = uid or f"{next(_ids):08d}"
    a = Leg(f"{uid}-a", "inbound", t_ms, caller, DOMAIN, caller, caller, ext, TRUNK)
    b = Leg(f"{uid}-b", "outbound", t_ms + 50, f"{ext}@{DOMAIN}", DOMAIN, caller, caller, ext, TRUNK)
    out: list[tuple[str, dict[str, Any]]] = [("channel_create", a.create()), ("channel_create", b.create())]
    if missed:
        return [*out, ("channel_destroy", b.destroy("ORIGINATOR_CANCEL")),
                ("channel_destroy", a.destroy("ORIGINATOR_CANCEL"))]
    return [*out, ("channel_answer", b.answer(t_ms + 900)), ("channel_answer", a.answer(t_ms + 910)),
                  ("channel_bridge", bridge(a.uuid, b.uuid)),
                  ("channel_destroy", b.destroy("NORMAL_CLEARING")),
                  ("channel_destroy", a.destroy("NORMAL_CLEARING"))]


async def until(predicate: Callable[[], bool], within: float) -> None:
    """Poll ``predicate`` every 20 ms; fail the test after ``within`` seconds."""
    for _ in range(max(1, int(within / 0.02))):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {within} s")


async def until_async(predicate: Callable[[], Awaitable[bool]], within: float) -> None:
    """Like :func:`until` for a coroutine predicate (a store read)."""
    for _ in range(max(1, int(within / 0.02))):
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {within} s")


class BotRig:
    """Simulator + SQLite + Application + RecordingSender; ``async with`` starts and stops all."""

    def __init__(self, tmp: Path, *, busy_ms: int = 5000, api: str = "2", **settings: Any) -> None:
        self.tmp, self.extra, self.busy_ms = tmp, settings, busy_ms
        self.sim = (PbxSimulatorV3(DOMAIN, KEY) if api == "3"  # the same PBX on API 3.0
                    else PbxSimulator(DOMAIN, KEY, heartbeat_interval=5.0))
        self.sender = RecordingSender(platform="console", limits=PacingLimits(0.0))
        self.db = tmp / "bot.sqlite3"
        self.app: Application | None = None
        self.store: SqliteStore | None = None

    async def __aenter__(self) -> BotRig:
        await self.sim.start()
        self.settings = settings_for(self.sim.url, self.db, **{"onpbx_http_url": self.sim.http_url,
                                                                **self.extra})
        await self.start_bot()
        return self

    async def start_bot(self, *, bind: tuple[str, ...] = ("201",)) -> Application:
        """(Re)start a bot process on the same database file and wait for the PBX link."""
        self.store = await SqliteStore.open(str(self.db), busy_timeout_ms=self.busy_ms)
        await self.store.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
        for ext in bind:
            await self.store.bind(CHAT, ext)
        self.app = Application(self.settings, self.store, chat_adapters=False)
        self.app.add_sender(self.sender)
        await self.app.start()
        assert await self.app.pbx.wait_connected(5.0), "the bot did not connect to the simulator"
        if not isinstance(self.sim, PbxSimulatorV3):  # on 3.0 "connected" already means subscribed
            await self.sim.wait_for(lambda: any(s.subs for s in self.sim.sessions.values()))
        return self.app

    async def stop_bot(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_bot()
        await self.sim.stop()

    async def emit(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for name, payload in events:
            await self.sim.emit(name, payload)

    async def wait_events_in(self, n: int, within: float = 5.0) -> None:
        """Wait until the bot's PBX client has received ``n`` events in total."""
        app = self.app
        assert app is not None
        await until(lambda: app.pbx.events_in >= n, within)

    async def wait_missed(self, n: int, within: float = 5.0) -> None:
        """Wait until ``n`` missed-call messages reached the chat."""
        await until(lambda: len(self.missed_texts()) >= n, within)

    async def settle(self, within: float = 5.0) -> None:
        """Wait until every event read so far went through the pipeline and the outbox is empty:
        after this nothing more can reach the chat, so "exactly once" checks need no sleep."""
        app, store = self.app, self.store
        assert app is not None and store is not None
        await asyncio.wait_for(app.events_processed(), within)

        async def drained() -> bool:
            return await store.outbox_depth() == 0

        await until_async(drained, within)

    def missed_texts(self) -> list[str]:
        """Missed-call alerts, certain or not (a call live across a link gap or a restart is
        alerted as "Call with unknown outcome", issue #10 item 8)."""
        return [s.text for s in self.sender.to(CHAT) if "issed" in s.text or UNCERTAIN in s.text]
