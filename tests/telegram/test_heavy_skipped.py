"""Issue 19 §3: a heavy command (/report, /history, /missed) whose answer the chat's reply
budget would drop is not run at all (the work is not done for nothing); other commands still are."""

from __future__ import annotations

import pytest

from adapters.telegram import TelegramAdapter
from tests.faults.harness import until
from tests.telegram.conftest import settings_for
from tests.telegram.fakes import FakeCore
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(20)


async def test_telegram_skips_a_heavy_command_whose_answer_would_be_dropped(api: StandIn) -> None:
    core = FakeCore()
    tg = TelegramAdapter(settings_for(api), core, polling_timeout=1, rate=1000.0)
    await tg.start()
    try:
        for n in range(5):  # a group's reply share: 5 of its 20 messages a minute
            api.push_message(-100, f"/help {n}", title="Ops")
        await api.wait_for("sendMessage", 5)
        api.push_message(-100, "/report", title="Ops")
        api.push_message(-100, "/who", title="Ops")  # not heavy: run (its reply is dropped)
        await until(lambda: any(c.name == "who" for c in core.commands), 5.0)
        await api.wait_for("getUpdates", len(api.of("getUpdates")) + 1)  # that batch is done
        assert [c.name for c in core.commands] == ["help"] * 5 + ["who"]
    finally:
        await tg.stop()
