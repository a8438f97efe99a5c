"""/help and the menus on the real 3.0 composition: the socket client (transfer, bridge, hangup)
inside CombinedPbx, without an HTTP source and with one (the app always wires the HTTP API)."""

from __future__ import annotations

import pytest

from adapters.pbx.combined import CombinedPbx, Unsupported
from adapters.pbx.v3.client import SocketClient
from bot.cli.app import Application
from bot.config import Settings
from storage.memory import MemoryStore
from tests.commands.test_capabilities import MISSING_ON_V3
from tests.fakes import Conversation


class HttpSource(Unsupported):
    """Stands in for the HTTP API source: its capabilities are all /help looks at."""

    capabilities = frozenset({"make_call", "user_list", "trunk_list"})
    api_name = "http"


async def _ignore(_: object) -> None:
    return None


def conversation(http: Unsupported | None) -> Conversation:
    socket = SocketClient("wss://x.onpbx.ru:3342", "k", on_event=_ignore)
    pbx = CombinedPbx(socket, http, lambda: True)
    conv = Conversation()
    conv.pbx.capabilities, conv.pbx.api_name = pbx.capabilities, pbx.api_name
    return conv


def test_the_app_on_3_0_serves_click_to_call_users_and_trunks_over_http() -> None:
    settings = Settings(_env_file=None, onpbx_domain="x.onpbx.ru", onpbx_key="k", onpbx_api="3")  # type: ignore[call-arg]
    app = Application(settings, MemoryStore())
    assert app.pbx_api.api_name == "3.0"
    assert app.pbx_api.capabilities == {"transfer", "bridge", "hangup_call",
                                        "make_call", "user_list", "trunk_list"}


@pytest.mark.parametrize("with_http", [False, True])
async def test_help_and_menu_show_the_3_0_command_set(with_http: bool) -> None:
    conv = conversation(HttpSource() if with_http else None)
    await conv.bind("201")
    helped = await conv.text("1", "/help")
    menu = [name for name, _ in conv.service.menu("en")]
    for name in ("hangup", "transfer", "bridge", "bind"):
        assert f"/{name} —" in helped and name in menu
    over_http = ("call", "who", "trunks")
    for name in over_http:
        assert (f"/{name} —" in helped) is with_http and (name in menu) is with_http
    for name in MISSING_ON_V3:
        assert f"/{name} " not in helped + " " and name not in menu
    if not with_http:
        assert await conv.text("1", "/call 79161234567") == "Not available on this PBX's API (3.0)."


async def test_on_3_0_the_app_learns_extension_names_over_http_without_seeding_registrations() -> None:
    """API 3.0 has no registration list; the HTTP user list still names each extension's owner
    (for "Called back by 201 (Anna Smirnova)"), and nobody is taken to be online from it."""
    from adapters.pbx.simulator.v3_server import PbxSimulatorV3

    sim = PbxSimulatorV3("names.onpbx.ru", "k")
    await sim.start()
    try:
        settings = Settings(_env_file=None, onpbx_domain="names.onpbx.ru", onpbx_key="k",  # type: ignore[call-arg]
                            onpbx_url=sim.url, onpbx_http_url=sim.http_url)
        app = Application(settings, MemoryStore())
        await app._seed_users()
        owner = sim.roster.extension("201")
        assert owner is not None and app.extension_name("201") == owner.name != ""
        assert app.presence.extension_states() == {}
        await app.http_pbx.close()
    finally:
        await sim.stop()
