"""All 13 typed PbxClient commands over the real wire to the PbxSimulator: the exact event name
and payload the server received, fresh callback hashes, and the typed return values."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.pbx.simulator.server import PbxSimulator
from adapters.pbx.v2 import commands as cmd
from adapters.pbx.v2.client import PbxClient
from bot import i18n
from bot.backoff import Backoff
from bot.domain import SipUser, Trunk
from bot.errors import InvalidArgument
from tests.pbx.conftest import DOMAIN, KEY

pytestmark = pytest.mark.timeout(20)
HASH = re.compile(r"[0-9a-zA-Z]{16}\Z")
GATE_IN, GATE_OUT = "74951112233", "88001006729"


@pytest.fixture
async def wired() -> AsyncIterator[tuple[PbxClient, PbxSimulator]]:
    sim = PbxSimulator(DOMAIN, KEY)
    await sim.start()

    async def ignore(_: object) -> None:
        return None

    client = PbxClient(sim.url, DOMAIN, KEY, on_event=ignore, command_timeout=3.0,
                       backoff=Backoff(base=0.05, cap=0.1))
    task = asyncio.create_task(client.run())
    assert await client.wait_connected(5)
    async with asyncio.timeout(5):
        await sim.wait_for(lambda: any(n == "subscribe" for n, _ in sim.commands_received))
    yield client, sim
    await client.close()
    await asyncio.wait_for(task, 5)
    await sim.stop()


async def _live(sim: PbxSimulator, uuid: str) -> None:
    async with asyncio.timeout(5):
        await sim.wait_for(lambda: uuid in sim.engine.book.channels)


async def test_all_thirteen_commands_on_the_wire(wired: tuple[PbxClient, PbxSimulator]) -> None:
    client, sim = wired
    a = await client.make_call(
        "201", "79161234567", from_orig_number="74957654321", from_orig_name="Shop", domain_to=DOMAIN,
        from_name="Bot", gate_from=GATE_IN, gate_to=GATE_OUT,
    )
    b = await client.make_call("203", "204")
    assert isinstance(a, str) and isinstance(b, str) and a != b
    await _live(sim, a)
    await _live(sim, b)
    await client.transfer(a, "205", gate_to=GATE_OUT, domain_to=DOMAIN)
    await client.bridge(a, b)
    spy = await client.eavesdrop(b, "206", gate_from=GATE_IN)
    assert isinstance(spy, str) and spy not in (a, b)
    await client.hangup_call(a)
    subs = await client.subscribe({"calls": True, "messages": True})
    await client.reboot_phone("201", "Yealink")
    await client.reloadgw(GATE_IN)
    await client.sip_message("202", "Перезвоните клиенту")
    await client.flush_reg("203")
    trunks = await client.trunk_list()
    users = await client.user_list()
    await client.message("hello", "browser")

    assert subs["calls"] is True and subs["messages"] is True and subs["fax"] is False
    assert trunks and all(isinstance(t, Trunk) for t in trunks)
    assert [(t.extension, t.status) for t in trunks] == [(GATE_IN, "REGED"), (GATE_OUT, "REGED")]
    assert users and all(isinstance(u, SipUser) for u in users)
    assert {u.uid for u in users} == {"201", "202", "204", "205", "206"}  # flush_reg dropped 203
    assert next(u for u in users if u.uid == "201").agent.startswith("Yealink")

    sent = list(sim.commands_received)[1:]  # after the client's own subscribe on connect
    hashes = [data.pop("callback_hash") for _, data in sent]
    assert all(isinstance(h, str) and HASH.match(h) for h in hashes)
    assert len(set(hashes)) == len(hashes) == 14
    assert sent == [
        ("make_call", {"from": "201", "to": "79161234567", "from_orig_number": "74957654321",
                       "from_orig_name": "Shop", "domain_to": DOMAIN, "from_name": "Bot",
                       "gate_from": GATE_IN, "gate_to": GATE_OUT}),
        ("make_call", {"from": "203", "to": "204"}),
        ("transfer", {"uuid": a, "to": "205", "gate_to": GATE_OUT, "domain_to": DOMAIN}),
        ("bridge", {"uuid": a, "to_uuid": b}),
        ("eavesdrop", {"uuid": b, "from": "206", "gate_from": GATE_IN}),
        ("hangup_call", {"uuid": a}),
        ("subscribe", {"events": {"calls": True, "messages": True}}),
        ("reboot_phone", {"num": "201", "model": "yealink"}),
        ("reloadgw", {"num": GATE_IN}),
        ("sip_message", {"num": "202", "text": "Перезвоните клиенту"}),
        ("flush_reg", {"num": "203"}),
        ("trunk_list", {}),
        ("user_list", {}),
        ("message", {"data": "hello", "target": "browser"}),
    ]
    assert client._pending == {}


async def test_make_call_uuid_is_the_pbx_channel(wired: tuple[PbxClient, PbxSimulator]) -> None:
    client, sim = wired
    uuid = await client.make_call("202", "201")
    await _live(sim, uuid)
    assert sim.engine.book.channels[uuid].leg.uuid == uuid
    name, data = sim.commands_received[-1]
    assert name == "make_call" and HASH.match(data.pop("callback_hash"))
    assert data == {"from": "202", "to": "201"}


async def test_invalid_arguments_never_reach_the_wire(wired: tuple[PbxClient, PbxSimulator]) -> None:
    client, sim = wired
    before = len(sim.commands_received)
    with pytest.raises(InvalidArgument):
        await client.eavesdrop("u1", " ")
    with pytest.raises(InvalidArgument):
        await client.message("x", "everyone")
    assert len(sim.commands_received) == before


@pytest.mark.parametrize(
    ("build", "key", "field"),
    [
        (lambda: cmd.eavesdrop("", "201", None), "pbx.invalid.empty", "uuid"),
        (lambda: cmd.eavesdrop("u1", "  ", "1"), "pbx.invalid.empty", "from"),
        (lambda: cmd.reboot_phone("", "cisco"), "pbx.invalid.empty", "num"),
        (lambda: cmd.reboot_phone("201", "polycom"), "pbx.invalid.model", None),
        (lambda: cmd.reboot_phone("201", ""), "pbx.invalid.model", None),
        (lambda: cmd.sip_message("", "hi"), "pbx.invalid.empty", "num"),
        (lambda: cmd.sip_message("201", "   "), "pbx.invalid.empty", "text"),
        (lambda: cmd.sip_message("201", "я" * 201), "pbx.invalid.text_too_long", None),
        (lambda: cmd.message("", "domain"), "pbx.invalid.empty", "data"),
        (lambda: cmd.message("hi", "slack"), "pbx.invalid.target", None),
        (lambda: cmd.message("hi", ""), "pbx.invalid.target", None),
    ],
)
def test_payload_builder_errors(build: Callable[[], Any], key: str, field: str | None) -> None:
    with pytest.raises(InvalidArgument) as err:
        build()
    assert err.value.key == key
    if field is not None:
        assert err.value.params == {"field": field}
    for lang in ("en", "ru"):
        assert "{" not in i18n.t(lang, key, **err.value.params)


def test_payload_builders_accept_edges() -> None:
    assert cmd.eavesdrop(" u1 ", "201", None) == {"uuid": "u1", "from": "201"}
    assert cmd.eavesdrop("u1", "201", "1") == {"uuid": "u1", "from": "201", "gate_from": "1"}
    assert cmd.reboot_phone("201", " CISCO ") == {"num": "201", "model": "cisco"}
    assert cmd.sip_message("201", "я" * 200) == {"num": "201", "text": "я" * 200}
    assert cmd.message("hi", "Domain") == {"data": "hi", "target": "domain"}
    with pytest.raises(InvalidArgument) as model:
        cmd.reboot_phone("201", "polycom")
    assert model.value.params == {"allowed": "yealink, cisco"}
    with pytest.raises(InvalidArgument) as long:
        cmd.sip_message("201", "x" * 201)
    assert long.value.params == {"limit": 200}
