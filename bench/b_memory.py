"""Memory at rest: the bot's RSS in its own process right after start and after idling, with no
chat platform, with Telegram, with Slack, and with both (``rss_<when>_mb_<platforms>``).

Strategy: this process runs the PBX simulator and the Telegram/Slack stand-ins (tests/); each
configuration is a fresh ``python -c`` child that builds the real Application on a SQLite file,
starts it (PBX link, worker, adapters polling / Socket Mode against the stand-ins), waits for the
link, then reports its VmRSS at once and after IDLE_S. The soak's RSS is in b_soak.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from adapters.pbx.simulator import PbxSimulator
from tests.slack.standin import SlackStandIn
from tests.telegram.standin import StandIn

DOMAIN, KEY = "mem.onpbx.ru", "mem-key"
IDLE_S = 3.0
ROOT = str(Path(__file__).resolve().parent.parent)

CHILD = """
import asyncio, gc, json, sys
from pathlib import Path

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

async def main(cfg):
    from bot.cli.app import Application
    from bot.config import Settings
    from storage.sqlite import SqliteStore
    settings = Settings(_env_file=None, **cfg["settings"])
    store = await SqliteStore.open(settings.bot_db)
    app = Application(settings, store)
    await app.start()
    await app.pbx.wait_connected(10.0)
    gc.collect()
    started = rss_mb()
    await asyncio.sleep(cfg["idle_s"])
    gc.collect()
    idle = rss_mb()
    modules = sorted({m.split(".")[0] for m in sys.modules})
    await app.stop()
    await store.close()
    print(json.dumps({"start": started, "idle": idle, "adapters": len(app.adapters),
                      "aiogram": "aiogram" in modules, "slack": "slack_sdk" in modules}), flush=True)

asyncio.run(main(json.loads(sys.argv[1])))
"""


async def _child(settings: dict[str, Any]) -> dict[str, Any]:
    cfg = json.dumps({"settings": settings, "idle_s": IDLE_S})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, cfg, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60.0)
    lines = out.decode().strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"memory child failed ({proc.returncode}) for {sorted(settings)}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def run() -> dict[str, Any]:
    logging.getLogger().setLevel(logging.WARNING)
    sim = PbxSimulator(DOMAIN, KEY)
    await sim.start()
    slack = await SlackStandIn().start()
    out: dict[str, Any] = {}
    try:
        async with StandIn() as telegram:
            tg = {"telegram_bot_token": "123456:mem-token", "telegram_api_url": telegram.url}
            sl = {"slack_bot_token": "xoxb-mem", "slack_app_token": "xapp-mem",
                  "slack_api_url": slack.api_url}
            configs = {"none": {}, "telegram": tg, "slack": sl, "both": {**tg, **sl}}
            with tempfile.TemporaryDirectory(prefix="onpbx-mem-") as tmp:
                for name, extra in configs.items():
                    settings = {"onpbx_domain": DOMAIN, "onpbx_key": KEY, "onpbx_url": sim.url,
                                "onpbx_http_url": sim.http_url,
                                "bot_db": str(Path(tmp) / f"{name}.sqlite3"), **extra}
                    got = await _child(settings)
                    out[f"rss_start_mb_{name}"] = round(got["start"], 1)
                    out[f"rss_idle_mb_{name}"] = round(got["idle"], 1)
                    out[f"rss_adapters_{name}"] = got["adapters"]
                    if name == "none":
                        out["rss_none_imports_aiogram"] = got["aiogram"]
                        out["rss_none_imports_slack_sdk"] = got["slack"]
    finally:
        await slack.stop()
        await sim.stop()
    return out
