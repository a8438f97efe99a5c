from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.slack.fakes import RecordingCore
from tests.slack.standin import SlackStandIn


@pytest.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    server = await SlackStandIn().start()
    yield server
    await server.stop()


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()
