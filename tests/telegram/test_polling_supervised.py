"""Telegram polling is the supervised ``telegram`` task: a failure is counted and shown failing
(the token never in its error), polling is tried again, and a command is answered once it works."""

from __future__ import annotations

import pytest

from adapters.telegram import TelegramAdapter
from bot.supervise import Supervisor
from tests.faults.harness import until
from tests.telegram.conftest import TOKEN, settings_for
from tests.telegram.fakes import FakeCore
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(20)


async def test_a_failing_poller_is_counted_and_polled_again(api: StandIn, core: FakeCore) -> None:
    sup = Supervisor(backoff_cap_s=0.05)
    for _ in range(2):
        api.script("deleteWebhook", 500, f"Internal Server Error for bot{TOKEN}")
    tg = TelegramAdapter(settings_for(api), core, polling_timeout=1, rate=1000.0, supervisor=sup)
    await tg.start()
    try:
        await until(lambda: sup.failures().get("telegram") == 2, 5.0)
        status = sup.watch("telegram").status()
        assert status["state"] == "failing" and TOKEN not in status["last_error"]
        api.push_message(501, "/help")
        sent = await api.wait_for("sendMessage")
        assert sent[0]["text"] == "ok help" and [c.name for c in core.commands] == ["help"]
    finally:
        await tg.stop()
