"""``onpbx-bot demo``: the simulator and the whole bot in one process, with a console chat.

Strategy: start the simulator on a free loopback port with a random key, point the bot at it,
bind the console chat to the demo extensions and make the console user an admin. On a terminal
the user types commands; without one a scripted session runs for ``duration`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from adapters.console.adapter import CHAT, USER, ConsoleChat
from adapters.pbx.simulator.scenario import load_scenario
from adapters.pbx.simulator.server import PbxSimulator
from adapters.pbx.simulator.v3_server import PbxSimulatorV3
from bot.cli.app import Application
from bot.config import Settings
from storage.sqlite import SqliteStore

logger = logging.getLogger(__name__)

DEMO_DOMAIN = "demo.onpbx.ru"
DEMO_EXTENSIONS = ("201",)
DEMO_SCENARIO = Path(__file__).with_name("demo.json")
SCRIPT = (
    (1.0, "/who"),
    (1.5, "/help"),
    (2.0, "/call 79161234567"),  # calls the first missed caller back: 201 answers at 2 s, they at 4 s
    (2.0, "/calls"),
    (1.5, "/trunks"),
    (1.0, "/call +44 20 7946 0958"),
    (1.5, "/missed"),
    (2.0, "/hangup"),  # the call back has connected by now: when it ends its missed alert is edited
    (2.0, "/report today"),  # the numbers, and where the chart's PNG was written
    (1.0, "/history 5"),  # the call back among them: the same talk time as its alert's edit
    (2.0, "/who"),
    (1.0, "/audit 5"),
)


def demo_settings(base: Settings, url: str, key: str, db: str, http_url: str | None = None) -> Settings:
    admins = ",".join(filter(None, [base.bot_admins, f"{USER.platform}:{USER.user_id}"]))
    return base.model_copy(
        update={
            "onpbx_domain": DEMO_DOMAIN,
            "onpbx_key": SecretStr(key),
            "onpbx_url": url,
            "onpbx_api": "auto",  # the simulator's URL scheme says which API it speaks
            "bot_db": db,
            "bot_admins": admins,
            "bot_reg_grace_s": 2.0,
            "bot_flap_window_s": 5.0,
            "onpbx_http_url": http_url or url,  # the simulator serves the HTTP API too
            "onpbx_history": "on",
        }
    )


async def _bootstrap(store: SqliteStore, settings: Settings) -> None:
    await store.ensure_chat(
        CHAT, title="Console", language=settings.bot_language, timezone=settings.bot_timezone
    )
    for ext in DEMO_EXTENSIONS:
        await store.bind(CHAT, ext)


async def run_demo(
    base: Settings, *, duration: float = 30.0, seed: int = 7, out: TextIO | None = None, api: str = "2",
    scenario: str | None = None,
) -> int:
    """Run the demo on WebSockets API ``api`` ("2" or "3"), printing to ``out`` (default stdout);
    returns the exit code (0). ``scenario``: a scenario or call-flow file (tests/flows) to play
    instead of the built-in one; the console chat then also gets every missed call, internal ones
    included, to watch the flow's verdicts."""
    key = secrets.token_urlsafe(16)
    sim_cls = PbxSimulatorV3 if api == "3" else PbxSimulator
    sim = sim_cls(DEMO_DOMAIN, key, seed=seed, rate_per_min=0.0, heartbeat_interval=10.0)
    await sim.start("127.0.0.1", 0)
    with tempfile.TemporaryDirectory(prefix="onpbx-demo-") as tmp:
        settings = demo_settings(base, sim.url, key, str(Path(tmp) / "demo.sqlite3"), sim.http_url)
        store = await SqliteStore.open(settings.bot_db)
        await _bootstrap(store, settings)
        if scenario is not None:
            chat = await store.get_chat(CHAT)
            assert chat is not None
            await store.update_chat(dataclasses.replace(chat, alert_all_missed=True, alert_internal=True))
        has_tokens = bool(
            settings.telegram_bot_token.get_secret_value() or settings.slack_bot_token.get_secret_value()
        )
        app = Application(settings, store, chat_adapters=has_tokens)
        if app.settler is not None:
            app.settler.delay_s = 0.5  # the simulator's history has a call the moment it ends
        console = ConsoleChat(app.commands, out=out)
        app.add_sender(console)
        print(f"onpbx-bot demo: PBX simulator (API {api}.0) at {sim.url}, console chat bound to "
              f"{', '.join(DEMO_EXTENSIONS)}; you are an admin.", file=out, flush=True)
        try:
            await app.start()
            await app.pbx.wait_connected(10.0)
            player = asyncio.create_task(sim.play(load_scenario(scenario or DEMO_SCENARIO)))
            if sys.stdin is not None and sys.stdin.isatty():
                print("Type /help; Ctrl-D to quit.", file=out, flush=True)
                await console.interactive()
            else:
                await _scripted(console, duration)
            player.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await player
        finally:
            await app.stop()
            await store.close()
            await sim.stop()
    print("demo finished.", file=out, flush=True)
    return 0


async def _scripted(console: ConsoleChat, duration: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + duration
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(console.scripted(SCRIPT), timeout=duration)
    await asyncio.sleep(max(0.0, end - loop.time()))
