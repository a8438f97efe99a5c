"""``onpbx-bot demo`` without a terminal: the scripted session shows every alert kind once."""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.cli.demo import run_demo
from bot.config import Settings
from tests.cli.conftest import ROOT, TRACEBACK, run_cli

SCENARIO = ROOT / "bot" / "cli" / "demo.json"
EXT = re.compile(r"^\d{2,5}$")


def external_missed_calls() -> list[str]:
    """Callers of the scenario's missed calls from outside (internal ones do not alert by default)."""
    steps = json.loads(SCENARIO.read_text(encoding="utf-8"))["steps"]
    calls = [s["call"] for s in steps if "call" in s]
    return [c["from"] for c in calls if c["outcome"] == "missed" and not EXT.match(c["from"])]


def test_scenario_fits_in_twelve_seconds() -> None:
    steps = json.loads(SCENARIO.read_text(encoding="utf-8"))["steps"]
    missed = [s for s in steps if "call" in s and s["call"]["outcome"] == "missed"]
    ends = [s["at"] + s["call"].get("ring_s", 0) for s in missed]
    assert ends and max(ends) <= 11.0
    assert any("unregister" in s for s in steps) and any("register" in s for s in steps)


@pytest.mark.timeout(60)
def test_scripted_demo_shows_each_alert_once(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "demo", "--duration", "12", timeout=45.0)
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert not TRACEBACK.search(out + done.stderr)
    missed = external_missed_calls()
    assert len(missed) >= 2
    posted = re.findall(r"\[bot -> demo #\d+\]\n  📵", out)
    assert len(posted) == len(missed), out  # exactly one alert per missed call (edits come later)
    assert out.count("🔴 Телефон 201 не в сети") == 1 and out.count("🟢 Телефон 201 в сети") == 1, out
    assert "> /who" in out and "Внутренние номера:" in out and "201 " in out.split("Внутренние номера:")[1]
    assert "> /call 79161234567" in out and "Звоню на 79161234567 с 201: возьмите трубку на 201." in out
    assert "> /call +44 20 7946 0958" in out and "Звонки за границу запрещены" in out
    assert out.rstrip().endswith("demo finished.")
    assert out.count("пока не было связи с АТС") == 1, out  # the call missed during the socket gap


@pytest.mark.timeout(60)
async def test_demo_shows_the_missed_call_called_back_and_the_report(tmp_path: Path) -> None:
    """The scripted ``/call 79161234567`` calls the first missed call back: once it ends, the
    alert is edited in place; then ``/report today`` prints where the chart's PNG went, and
    ``/history`` shows the call back outgoing, with the edit's talk time; ``/audit`` times are
    the chat's (Europe/Moscow), like the alerts'."""
    done = await asyncio.to_thread(run_cli, tmp_path, "demo", "--duration", "21", timeout=50.0,
                                   BOT_LANGUAGE="ru", BOT_TIMEZONE="Europe/Moscow")
    text = done.stdout
    assert done.returncode == 0 and not TRACEBACK.search(text + done.stderr), done.stderr[-2000:]
    first = re.search(r"\[bot -> demo #(\d+)\]\n  📵 Пропущенный звонок\n  От: \+7 916 123-45-67", text)
    assert first is not None, text
    edit = text.split(f"[bot edits #{first.group(1)}]")[-1].split("\n> ", 1)[0]  # its last edit
    talked = re.search(r"✅ Перезвонил 201 \(Анна Смирнова\) в (\d\d:\d\d), разговор (\d+:\d\d)", edit)
    assert talked is not None, text
    assert "> /missed" in text and "Нерешённые пропущенные" in text
    report = text.split("> /report today", 1)[1]
    # the call missed while the PBX link was down is counted too (the call history says so)
    assert "Отчёт по звонкам:" in report and "Пропущено: 3 (решено 1, не решено 2)" in report, text
    path = re.search(r"\[chart: (\S+\.png)\]", report)
    assert path is not None
    assert (await asyncio.to_thread(Path(path.group(1)).read_bytes))[:4] == b"\x89PNG"
    history = text.split("> /history", 1)[1].split("\n> ", 1)[0]
    callback = [line for line in history.splitlines() if "→ +7 916 123-45-67" in line]
    assert len(callback) == 1, history  # outgoing: from 201 to the caller, not the other way round
    assert callback[0].split()[2] == "201" and "✅ отвечен" in callback[0], history
    assert callback[0].endswith(f"разговор {talked.group(2)}"), (callback, talked.group(0))
    alerted = re.search(r"Время: (\d\d\.\d\d)\.(\d{4}) (\d\d:\d\d)", edit)  # the alert's own clock
    assert alerted is not None, edit
    year, day_time = alerted.group(2), f"{alerted.group(1)} {alerted.group(3)}"
    audit = text.split("> /audit 5", 1)[1]
    stamps = re.findall(r"^  (\d\d-\d\d \d\d:\d\d) ✓ Console operator", audit, re.M)
    assert len(stamps) == 5, audit
    for stamp in stamps:  # the same zone as the alert (UTC would be three hours off)
        gap = datetime.strptime(f"{year}-{stamp}", "%Y-%m-%d %H:%M") - datetime.strptime(
            f"{year}.{day_time}", "%Y.%d.%m %H:%M")
        assert timedelta(0) <= gap <= timedelta(minutes=1), (stamp, day_time)


@pytest.mark.timeout(30)
async def test_demo_dials_79161234567_from_201_in_process() -> None:
    """The scripted ``/call 79161234567`` gets the reply that follows a successful make_call."""
    out = io.StringIO()
    base = Settings(  # type: ignore[call-arg]
        _env_file=None, bot_language="ru", telegram_bot_token=SecretStr(""), slack_bot_token=SecretStr("")
    )
    code = await run_demo(base, duration=5.0, out=out)
    text = out.getvalue()
    assert code == 0 and not TRACEBACK.search(text)
    assert "> /call 79161234567" in text, text
    reply = text.split("> /call 79161234567", 1)[1]
    assert "Звоню на 79161234567 с 201: возьмите трубку на 201." in reply, text
    assert text.rstrip().endswith("demo finished.")


@pytest.mark.timeout(40)
async def test_the_demo_plays_a_call_flow_and_shows_its_verdict() -> None:
    """``make demo FLOW=tests/flows/...``: a person watches a flow of the corpus and its alert."""
    out = io.StringIO()
    base = Settings(  # type: ignore[call-arg]
        _env_file=None, bot_language="en", telegram_bot_token=SecretStr(""), slack_bot_token=SecretStr("")
    )
    flow = ROOT / "tests" / "flows" / "33_internal_to_offline_phone.json"
    assert await run_demo(base, duration=6.0, out=out, scenario=str(flow)) == 0
    text = out.getvalue()
    assert text.count("Missed internal call") == 1, text  # 201 -> 205 (offline): the flow's one alert
    assert "Called: 205" in text
