"""/report, /settings report, and the daily schedule: once per chat per day, across restarts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from adapters.charts import MatplotlibCharts
from bot.commands import CommandService
from bot.domain import ChatRef, ReportAlert, Role
from bot.reports import Reporter, ReportScheduler
from storage.sqlite import SqliteStore
from tests.fakes import Conversation
from tests.reports.fixture import DAY_END, RECORDS

CHAT = ChatRef("telegram", "100")
NINE = DAY_END - 14 * 3600  # 15.11.2023 09:00 Moscow


async def conversation(charts: bool = True) -> Conversation:
    conv = Conversation()
    conv.now = DAY_END
    reporter = Reporter(conv.store, charts=MatplotlibCharts() if charts else None)
    conv.service = CommandService(store=conv.store, pbx=conv.pbx, calls=conv.calls,
                                  presence=conv.presence, settings=conv.settings,
                                  clock=lambda: conv.now, reporter=reporter)  # fmt: skip
    await conv.bind("201")
    await conv.bind("202")
    for rec in RECORDS:
        await conv.store.record_call(rec)
    return conv


async def test_report_today_is_a_photo_with_the_numbers_as_caption() -> None:
    bot = await conversation()
    await bot.grant("3", Role.VIEWER)
    [msg] = await bot.say("3", "/report")
    assert msg.photo is not None and msg.photo[:4] == b"\x89PNG"
    assert msg.text.splitlines()[:4] == ["Calls report: 15.11.2023", "Inbound: 7", "Answered: 4 (57%)",
                                         "Missed: 3 (resolved 2, unresolved 1)"]  # fmt: skip
    [yesterday] = await bot.say("3", "/report yesterday")
    assert "Inbound: 1" in yesterday.text  # the call of 14.11 23:30
    assert "Inbound: 8" in (await bot.say("3", "/report week"))[0].text
    assert "Not allowed" in await bot.text("9", "/report")
    assert "today, yesterday, week" in await bot.text("3", "/report month")


async def test_report_of_a_chat_covers_its_extensions() -> None:
    bot = await conversation(charts=False)
    [msg] = await bot.say("1", "/report", chat="555")  # unbound: the whole PBX
    assert "Inbound: 7" in msg.text and msg.photo is None
    await bot.bind("202", chat="556")
    assert "Inbound: 4" in (await bot.say("1", "/report", chat="556"))[0].text  # B, C, D, F


async def test_settings_report_needs_an_admin_and_is_off_by_default() -> None:
    bot = await conversation(charts=False)
    assert await bot.store.get_setting(f"report_at:{CHAT}") is None
    await bot.grant("3", Role.OPERATOR)
    assert "Not allowed" in await bot.text("3", "/settings report 09:00")
    assert await bot.text("1", "/settings report 09:00") == "Daily report at 09:00 (Europe/Moscow)."
    assert await bot.store.get_setting(f"report_at:{CHAT}") == "09:00"
    assert "HH:MM" in await bot.text("1", "/settings report 9am")
    assert await bot.text("1", "/settings report off") == "Daily report is off."
    assert await bot.store.get_setting(f"report_at:{CHAT}") is None


async def reports(store: SqliteStore) -> list[ReportAlert]:
    return [e.alert for e in await store.pending_for_chat(CHAT) if isinstance(e.alert, ReportAlert)]


async def test_daily_report_once_per_day_across_restarts(tmp_path: Path) -> None:
    db = str(tmp_path / "bot.sqlite3")
    store = await SqliteStore.open(db)
    chat = await store.ensure_chat(CHAT, title="", language="en", timezone="Europe/Moscow")
    await store.update_chat(dataclasses.replace(chat, alert_all_missed=True))
    for rec in RECORDS:
        await store.record_call(rec)
    await store.set_setting(f"report_at:{CHAT}", "09:00")
    sched = ReportScheduler(store, Reporter(store))
    assert await sched.tick(NINE - 60) == 0  # 08:59
    assert await sched.tick(NINE) == 1 and await sched.tick(NINE + 60) == 0
    [alert] = await reports(store)
    assert alert.day == "2023-11-15" and alert.caption.startswith("Calls report: 14.11.2023")  # yesterday
    await store.set_setting(f"report_sent:{CHAT}", None)  # crashed after the enqueue, before the note
    await store.close()
    store = await SqliteStore.open(db)  # restarted
    assert await ReportScheduler(store, Reporter(store)).tick(NINE + 120) == 0
    assert len(await reports(store)) == 1
    assert await ReportScheduler(store, Reporter(store)).tick(NINE + 86_400 + 7200) == 1  # down at 09:00
    assert [a.day for a in await reports(store)] == ["2023-11-15", "2023-11-16"]
    await store.close()


async def test_setting_a_time_already_past_starts_tomorrow() -> None:
    bot = await conversation(charts=False)
    await bot.text("1", "/settings report 09:00")  # it is 23:00 already
    sched = ReportScheduler(bot.store, Reporter(bot.store))
    assert await sched.tick(DAY_END) == 0
    assert await sched.tick(NINE + 86_400) == 1
