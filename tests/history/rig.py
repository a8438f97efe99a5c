"""BotRig with the call history on: the bot's HTTP client talks to the simulator's HTTP API, the
settler waits 50 ms (not 5 s) before a pass and retries fast."""

from __future__ import annotations

import time
from typing import Any

from adapters.pbx.simulator.scenario import parse_scenario
from bot.backoff import Backoff
from bot.cli.app import Application
from storage.sqlite import SqliteStore
from tests.faults.harness import CHAT, BotRig, settings_for, until

MISSED = {
    "from": "79161234567",
    "name": "Иван",
    "to": "201",
    "ring": ["201"],
    "outcome": "missed",
    "ring_s": 0.3,
}
ANSWERED = {
    "from": "74957654321",
    "to": "201",
    "ring": ["201"],
    "answered_by": "201",
    "ring_s": 0.3,
    "talk_s": 0.5,
}


class HistoryRig(BotRig):
    async def __aenter__(self) -> HistoryRig:
        await self.sim.start()
        self.extra = {"onpbx_history": "on", "onpbx_http_url": self.sim.url, **self.extra}
        self.settings = settings_for(self.sim.url, self.db, **self.extra)
        await self.start_bot()
        return self

    async def start_bot(self, *, bind: tuple[str, ...] = ("201",)) -> Application:
        self.store = await SqliteStore.open(str(self.db), busy_timeout_ms=self.busy_ms)
        await self.store.ensure_chat(CHAT, title="Ops", language="en", timezone="UTC")
        for ext in bind:
            await self.store.bind(CHAT, ext)
        self.app = Application(self.settings, self.store, chat_adapters=False)
        settler = self.app.settler
        assert settler is not None
        settler.delay_s, settler.backoff = 0.05, Backoff(base=0.05, cap=0.2)
        self.app.add_sender(self.sender)
        await self.app.start()
        assert await self.app.pbx.wait_connected(5.0), "the bot did not connect to the simulator"
        await self.sim.wait_for(lambda: any(s.subs for s in self.sim.sessions.values()))
        return self.app

    @property
    def settler(self) -> Any:
        assert self.app is not None and self.app.settler is not None
        return self.app.settler

    async def play(self, *calls: dict[str, Any]) -> list[dict[str, Any]]:
        """Play calls to their end; returns their history records."""
        before = len(self.sim.history.records)
        await self.sim.play(
            parse_scenario({"steps": [{"at": 0.02 * i, "call": c} for i, c in enumerate(calls)]}), wait=True
        )
        return self.sim.history.records[before:]

    async def gap(self, *calls: dict[str, Any], seconds: float = 0.6) -> list[dict[str, Any]]:
        """Drop the socket, play ``calls`` while it is down, wait for the reconnect and the pass."""
        passes = self.settler.passes
        await self.sim.outage(seconds)
        records = await self.play(*calls)
        app = self.app
        assert app is not None
        await until(lambda: app.pbx.reconnects >= 1 and self.settler.passes > passes, 15.0)
        return records

    def texts(self) -> list[str]:
        return [s.text for s in self.sender.to(CHAT)]


def age(record: dict[str, Any], seconds: int) -> None:
    """Move a simulator history record back in time (a call from ``seconds`` ago)."""
    record["start_stamp"] -= seconds
    record["end_stamp"] -= seconds


def now() -> float:
    return time.time()
