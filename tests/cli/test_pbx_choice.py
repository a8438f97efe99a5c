"""Choosing the PBX API: ONPBX_API, ONPBX_URL's scheme, what worked before (SQLite), or a probe
of 3.0 then 2.0 against real simulators."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from adapters.pbx.simulator.server import PbxSimulator
from adapters.pbx.simulator.v3_server import PbxSimulatorV3
from adapters.pbx.v2.client import PbxClient
from adapters.pbx.v3.client import SocketClient
from bot.backoff import Backoff
from bot.cli import pbx_choice
from bot.cli.app import Application
from bot.config import Settings
from storage.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(30)
DOMAIN, KEY = "choice.onpbx.ru", "choice-key-0123"


def settings(**kw: object) -> Settings:
    return Settings(_env_file=None, onpbx_domain=DOMAIN, onpbx_key=KEY, **kw)  # type: ignore[call-arg]


@pytest.mark.parametrize("api,url,expected", [
    ("2", "", "2"), ("3", "https://x:8093", "3"), ("auto", "wss://x:3342", "3"), ("auto", "ws://h:1", "3"),
    ("auto", "https://x:8093", "2"), ("auto", "HTTP://h:8094", "2"), ("auto", "", None),
])  # fmt: skip
def test_explicit_choices(api: str, url: str, expected: str | None) -> None:
    assert pbx_choice.explicit(settings(onpbx_api=api, onpbx_url=url)) == expected


def test_default_addresses() -> None:
    assert pbx_choice.url_of(settings(), "3") == f"wss://{DOMAIN}:3342"
    assert pbx_choice.url_of(settings(), "2") == f"https://{DOMAIN}:8093"
    assert pbx_choice.url_of(settings(onpbx_url="ws://h:1/"), "2") == "ws://h:1"


async def _ignore(_: object) -> None:
    return None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("running", ["2", "3"])
async def test_auto_probes_3_then_2_and_remembers(
    tmp_path: Path, running: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim = PbxSimulatorV3(DOMAIN, KEY) if running == "3" else PbxSimulator(DOMAIN, KEY)
    await sim.start()
    dead = f"http://127.0.0.1:{_closed_port()}"
    urls = {"3": sim.url if running == "3" else dead.replace("http", "ws"),
            "2": sim.url if running == "2" else dead}
    probed: list[str] = []

    def make_link(api: str) -> pbx_choice.Link:
        probed.append(api)
        fast = Backoff(base=0.05, cap=0.1)
        if api == "3":
            return SocketClient(urls["3"], KEY, on_event=_ignore, backoff=fast)
        return PbxClient(urls["2"], DOMAIN, KEY, on_event=_ignore, backoff=fast)

    async def quick(link: pbx_choice.Link) -> bool:
        return await pbx_choice.probe(link, within=1.5)

    store = await SqliteStore.open(str(tmp_path / "bot.sqlite3"))
    try:
        assert await pbx_choice.choose(settings(), store, make_link, quick) == running
        assert probed == (["3"] if running == "3" else ["3", "2"])
        assert await store.get_setting(pbx_choice.SETTING_KEY) == running
        assert f"PBX API {running}.0 answered" in caplog.text
        assert await pbx_choice.choose(settings(), store, make_link, quick) == running
        assert len(probed) == (1 if running == "3" else 2)  # remembered: no probe the second time
    finally:
        await store.close()
        await sim.stop()
    assert KEY not in caplog.text


async def test_nothing_answers_3_0_for_now_and_nothing_remembered(tmp_path: Path) -> None:
    async def never(link: pbx_choice.Link) -> bool:
        return False

    store = await SqliteStore.open(str(tmp_path / "bot.sqlite3"))
    try:
        chosen = await pbx_choice.choose(settings(), store, lambda api: None, never)  # type: ignore[arg-type,return-value]
        assert chosen == "3" and await store.get_setting(pbx_choice.SETTING_KEY) is None
    finally:
        await store.close()


async def test_the_app_uses_the_remembered_api(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "bot.sqlite3"))
    await store.set_setting(pbx_choice.SETTING_KEY, "2")
    app = Application(settings(bot_db=str(tmp_path / "bot.sqlite3")), store, chat_adapters=False)
    assert isinstance(app.pbx, SocketClient)  # provisional until start() settles it
    await app.start()
    try:
        assert isinstance(app.pbx, PbxClient) and app.pbx_api.socket is app.pbx
        assert app.pbx.base_url == f"https://{DOMAIN}:8093" and app.pbx_api.api_name == "2.0"
    finally:
        await app.stop()
        await store.close()
