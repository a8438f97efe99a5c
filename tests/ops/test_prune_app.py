"""Retention wiring of the Application: BOT_RETENTION_DAYS becomes the cut for the outbox, tracked
calls and audit; the prune runs a minute after start, then hourly; a storage failure is logged
as a warning and retried at the next run. Built on a real SqliteStore, never connected."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.cli.app import PRUNE_EVERY_S, PRUNE_FIRST_S, Application
from bot.config import Settings
from bot.domain import AuditEntry, ChatRef
from storage.sqlite import SqliteStore
from tests.storage.samples import missed

pytestmark = pytest.mark.timeout(20)

NOW = 1_800_000_000.0
DAY = 86400.0
CHAT = ChatRef("console", "ops")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = await SqliteStore.open(str(tmp_path / "bot.db"))
    try:
        yield s
    finally:
        await s.close()


def _app(store: SqliteStore, days: float = 7.0) -> Application:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, onpbx_domain="t.onpbx.ru", onpbx_key=SecretStr("k"),
        onpbx_url="http://127.0.0.1:9", bot_retention_days=days,
    )
    return Application(settings, store, clock=lambda: NOW, chat_adapters=False)


async def _fill(store: SqliteStore) -> None:
    await store.ensure_chat(CHAT, title="", language="en", timezone="UTC")
    for key, age_days in (("old", 8.0), ("recent", 6.0), ("pending-old", 30.0)):
        await store.enqueue(key, CHAT, missed(key), NOW - age_days * DAY)
    for entry in await store.due(NOW):
        if entry.dedup_key != "pending-old":
            await store.mark_delivered([entry.id])
    for age_days in (10.0, 1.0):
        at = NOW - age_days * DAY
        await store.audit(AuditEntry(at, "console", "ops", "u", "U", "/help", "", True, "ok"))
    await store.save_call("stuck", {"id": "stuck"}, NOW - 9 * DAY)
    await store.save_call("live", {"id": "live"}, NOW - 60.0)


async def test_prune_uses_the_retention_setting(store: SqliteStore, caplog: pytest.LogCaptureFixture) -> None:
    await _fill(store)
    app = _app(store, days=7.0)
    with caplog.at_level(logging.INFO, logger="bot.cli.app"):
        assert await app.prune() == (1, 1)
        assert await app.prune() == (0, 0)
    lines = [r.getMessage() for r in caplog.records if "retention" in r.getMessage()]
    assert lines == ["retention: pruned 1 outbox row(s) and 1 audit row(s)"]
    assert await store.enqueue("old", CHAT, missed(), NOW) is True
    assert await store.enqueue("recent", CHAT, missed(), NOW) is False
    assert [e.dedup_key for e in await store.pending_for_chat(CHAT)] == ["pending-old", "old"]
    assert [a.at for a in await store.recent_audit(10)] == [NOW - DAY]
    assert await store.load_calls() == [{"id": "live"}]


async def test_longer_retention_keeps_everything(store: SqliteStore) -> None:
    await _fill(store)
    assert await _app(store, days=365.0).prune() == (0, 0)
    assert len(await store.load_calls()) == 2


async def test_schedule_first_after_a_minute_then_hourly(store: SqliteStore) -> None:
    before = time.monotonic()
    app = _app(store)
    first = app.next_prune_at
    assert before + PRUNE_FIRST_S <= first <= time.monotonic() + PRUNE_FIRST_S
    assert await app.prune_if_due(first - 1.0) is False
    assert app.next_prune_at == first
    assert await app.prune_if_due(first + 0.5) is True
    assert app.next_prune_at == first + 0.5 + PRUNE_EVERY_S
    assert await app.prune_if_due(first + PRUNE_EVERY_S) is False
    assert await app.prune_if_due(first + 0.5 + PRUNE_EVERY_S) is True


async def test_storage_failure_is_a_warning_and_retried_next_hour(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await SqliteStore.open(str(tmp_path / "closed.db"))
    await store.close()
    app = _app(store)
    with caplog.at_level(logging.WARNING, logger="bot.cli.app"):
        assert await app.prune_if_due(app.next_prune_at) is True
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "retention prune failed" in warnings[0].getMessage()
    assert "is closed" in warnings[0].getMessage()
    assert app.next_prune_at > time.monotonic() + PRUNE_EVERY_S - 5.0
