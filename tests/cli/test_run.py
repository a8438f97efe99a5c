"""``onpbx-bot run`` as a real process: configuration errors, a clean stop on signals, a wrong key."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from bot.cli import main
from tests.cli.conftest import (
    SIM_DOMAIN,
    SIM_KEY,
    TRACEBACK,
    Lines,
    Sim,
    clean_env,
    run_cli,
    spawn_cli,
    stop,
)

pytestmark = pytest.mark.timeout(60)


def one_error_line(done: subprocess.CompletedProcess[str], setting: str) -> str:
    assert done.returncode == 2, done.stderr
    assert not TRACEBACK.search(done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert setting in lines[0]
    return lines[0]


def test_missing_domain_and_key_at_once_then_the_key(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "run", "--console")
    assert done.returncode == 2 and not TRACEBACK.search(done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and "ONPBX_DOMAIN" in lines[0] and "ONPBX_KEY" in lines[1], done.stderr
    line = one_error_line(run_cli(tmp_path, "run", "--console", ONPBX_DOMAIN=SIM_DOMAIN), "ONPBX_KEY")
    assert "ONPBX_DOMAIN" not in line


@pytest.mark.parametrize(
    ("name", "value"),
    [("BOT_TIMEZONE", "Mars/Olympus"), ("BOT_ADMINS", "telegram123"), ("ONPBX_EVENTS", "calls,weather")],
)
def test_bad_value_names_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    """In-process (cheap): the same ``main`` the console script calls."""
    monkeypatch.chdir(tmp_path)
    for key, val in clean_env(tmp_path, ONPBX_DOMAIN=SIM_DOMAIN, ONPBX_KEY=SIM_KEY, **{name: value}).items():
        monkeypatch.setenv(key, val)
    code = main(["run", "--console"])
    captured = capsys.readouterr()
    one_error_line(subprocess.CompletedProcess(["run"], code, captured.out, captured.err), name)


def bot_env(sim: Sim, key: str = SIM_KEY) -> dict[str, str]:
    return {"ONPBX_DOMAIN": SIM_DOMAIN, "ONPBX_KEY": key, "ONPBX_URL": sim.url}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_connects_and_stops_cleanly_on_signal(tmp_path: Path, simulator: Sim, sig: int) -> None:
    proc = spawn_cli(tmp_path, "run", "--console", **bot_env(simulator))
    assert proc.stderr is not None
    err = Lines(proc.stderr)
    try:
        err.wait_for(f"PBX link up (domain {SIM_DOMAIN})")
        err.wait_for("registered extension(s)")
    finally:
        code, out, _ = stop(proc, sig, timeout=10.0)
    text = err.text()
    assert code == 0, text[-2000:]
    assert not TRACEBACK.search(text) and SIM_KEY not in text + out


def test_wrong_key_keeps_running_and_never_logs_the_key(tmp_path: Path, simulator: Sim) -> None:
    wrong = "wrong-key-31337-do-not-log"
    proc = spawn_cli(tmp_path, "run", "--console", **bot_env(simulator, key=wrong))
    assert proc.stderr is not None
    err = Lines(proc.stderr)
    try:
        err.wait_for(SIM_DOMAIN, timeout=15.0)
        time.sleep(0.5)  # the first retry is 15 s away: nothing else may name the domain meanwhile
        assert proc.poll() is None, "the bot must keep retrying"
    finally:
        code, out, _ = stop(proc)
    text = err.text()
    assert code == 0
    attempts = [line for line in text.splitlines() if SIM_DOMAIN in line]
    assert len(attempts) == 1 and "retry 1 in" in attempts[0], text  # one line per attempt
    assert wrong not in text + out and SIM_KEY not in text + out
    assert not TRACEBACK.search(text)
