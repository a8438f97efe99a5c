"""Issue #10 item 12 through the real app: a failed ``user_list`` after connecting is retried with
backoff, and registrations that arrive before the phone list is in do not alert as new phones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.pbx.simulator.commands import CommandRefused, Commands
from tests.faults.harness import CHAT, BotRig, until

pytestmark = pytest.mark.timeout(60)


class RefusingUserList(Commands):
    """The simulated PBX refuses ``user_list`` while ``refusals`` lasts."""

    refusals = 2
    asked = 0

    async def user_list(self, data: dict[str, Any]) -> Any:
        self.asked += 1
        if self.refusals:
            self.refusals -= 1
            raise CommandRefused("INTERNAL_ERROR")
        return await super().user_list(data)


async def test_user_list_is_retried_and_early_refreshes_stay_silent(tmp_path: Path) -> None:
    rig = BotRig(tmp_path)
    flaky = RefusingUserList(rig.sim.engine, rig.sim.emit)
    rig.sim.commands = flaky
    async with rig:
        app = rig.app
        assert app is not None and flaky.asked >= 1
        # a phone that was registered all along refreshes while the list is still being retried
        refresh = {"uid": "201", "state": "register", "agent": "Yealink", "ip": "10.0.0.5", "port": 5060,
                   "expires": 120}  # fmt: skip
        await rig.sim.emit("registration", refresh)
        await until(lambda: flaky.asked == 3, 15.0)  # refused twice, then answered
        await rig.settle()
        assert "201" in app.registrations.online()
        assert [m.text for m in rig.sender.to(CHAT) if "online" in m.text] == []
