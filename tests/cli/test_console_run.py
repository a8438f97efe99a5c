"""``onpbx-bot run --console`` as a real process against the simulator, typed into through a pipe:
every reply in the chat's language (BOT_LANGUAGE=ru), every time in its zone, ``/bind`` of an
extension the PBX does not know asks first, ``/start`` shows your id."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.cli.conftest import SIM_DOMAIN, SIM_KEY, TRACEBACK, Lines, Sim, clean_env, stop

pytestmark = pytest.mark.timeout(60)
ZONE = "Asia/Vladivostok"  # UTC+10: neither UTC nor this machine's zone


def console(home: Path, simulator: Sim) -> subprocess.Popen[str]:
    env = clean_env(home, ONPBX_DOMAIN=SIM_DOMAIN, ONPBX_KEY=SIM_KEY, ONPBX_URL=simulator.url,
                    BOT_LANGUAGE="ru", BOT_TIMEZONE=ZONE)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--console"], cwd=home, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def type_in(proc: subprocess.Popen[str], *lines: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write("".join(line + "\n" for line in lines))
    proc.stdin.flush()


def test_a_console_chat_in_russian_and_its_own_time_zone(tmp_path: Path, simulator: Sim) -> None:
    proc = console(tmp_path, simulator)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        err.wait_for(f"PBX link up (domain {SIM_DOMAIN})")
        out.wait_for("console chat, you are an admin")
        type_in(proc, "/press 99", "hello", "/bind 999")
        out.wait_for("Всё равно привязать")
        confirm = re.findall(r"\[Подтвердить: /press (\d+)\]", "".join(out.lines))
        type_in(proc, f"/press {confirm[-1]}", "/bind 201", "/start", "/audit 3")
        out.wait_for("✓ Console operator /start")  # /audit 3 lists /start, /bind 201 and the press
        seen = datetime.now(ZoneInfo(ZONE))
    finally:
        code, rest, _ = stop(proc)
    text = out.text() + rest
    assert code == 0 and not TRACEBACK.search(text + err.text()), text
    assert "(кнопки 99 нет: после /press укажите номер, показанный у кнопки)" in text  # not English
    assert "(команды начинаются с /, попробуйте /help)" in text
    assert "АТС не знает номер 999" in text and "Чат привязан к 999" in text
    assert "Чат привязан к 201" in text and text.count("АТС не знает номер") == 1  # 201 is known
    assert "Ваш id: operator (для BOT_ADMINS: console:operator)." in text
    stamps = re.findall(r"^  (\d\d-\d\d \d\d:\d\d) ✓ Console operator /", text, re.M)
    assert stamps, text
    allowed = {(seen - timedelta(minutes=m)).strftime("%m-%d %H:%M") for m in (0, 1, 2)}
    assert set(stamps) <= allowed, (stamps, allowed)  # the chat's zone, not UTC
    assert SIM_KEY not in text


def test_console_typing_ends_with_stdin_but_the_bot_runs_on(tmp_path: Path, simulator: Sim) -> None:
    """Without a terminal the end of stdin only ends the typing (systemd gives /dev/null)."""
    proc = console(tmp_path, simulator)
    assert proc.stdin is not None and proc.stderr is not None
    err = Lines(proc.stderr)
    try:
        err.wait_for(f"PBX link up (domain {SIM_DOMAIN})")
        proc.stdin.close()
        proc.stdin = None  # closed: communicate() in stop() must not flush it
        time.sleep(0.5)
        assert proc.poll() is None
    finally:
        code, _, rest = stop(proc)
    assert code == 0 and not TRACEBACK.search(err.text() + rest)
