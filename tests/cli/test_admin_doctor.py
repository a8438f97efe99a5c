"""``onpbx-bot admin``, ``doctor`` and ``simulate`` as real processes sharing one BOT_DB file."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.service import CommandService
from bot.config import Settings
from bot.domain import ChatCommand, ChatRef, Role, UserRef
from storage.sqlite import SqliteStore
from tests.cli.conftest import SIM_DOMAIN, SIM_KEY, TRACEBACK, Sim, clean_env, make_db, run_cli
from tests.fakes import FakeCalls, FakePresence, RecordingPbx

pytestmark = pytest.mark.timeout(60)


async def test_admin_code_is_redeemed_by_pair(tmp_path: Path) -> None:
    await asyncio.to_thread(make_db, tmp_path)
    done = run_cli(tmp_path, "admin", "code")
    assert done.returncode == 0, done.stderr
    found = re.search(r"/pair (\S+)", done.stdout)
    assert found, done.stdout
    store = await SqliteStore.open(str(tmp_path / "bot.sqlite3"))
    try:
        settings = Settings(_env_file=None, bot_language="en")  # type: ignore[call-arg]
        service = CommandService(store=store, pbx=RecordingPbx(), calls=FakeCalls(), presence=FakePresence(),
                                 settings=settings, clock=time.time)
        user = UserRef("telegram", "77", display="New admin")

        async def say(line: str) -> str:
            name, _, rest = line.lstrip("/").partition(" ")
            cmd = ChatCommand(ChatRef("telegram", "77"), user, name, tuple(rest.split()), rest,
                              chat_title="", is_private=True)
            return "\n".join(m.text for m in await service.handle_command(cmd))

        assert "you are an admin" in await say(f"/pair {found.group(1)}")
        grants = await store.list_grants()
        assert any(g.user_id == "77" and g.role == Role.ADMIN for g in grants)
        assert "Wrong or expired" in await say(f"/pair {found.group(1)}")  # single use
    finally:
        await store.close()


def test_admin_grant_bind_list_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_db(tmp_path)

    def ok(*argv: str) -> str:
        done = run_cli(tmp_path, "admin", *argv)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "granted operator to telegram:1" in ok("grant", "telegram:1", "operator")
    assert "bound telegram:-100 to extension 201" in ok("bind", "telegram:-100", "201")
    listing = ok("list")
    assert re.search(r"grant telegram:1 operator", listing), listing
    assert re.search(r"chat telegram:-100 .*extensions=201", listing), listing
    # the same database in-process (cheaper than another interpreter): revoke, then list again
    monkeypatch.chdir(tmp_path)
    for key, value in clean_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    assert main(["admin", "revoke", "telegram:1"]) == 0
    assert main(["admin", "list"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 grant(s)" in out and "grant telegram:1" not in out and "extensions=201" in out


def test_admin_list_after_revoke_and_a_bad_ref_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_db(tmp_path)
    monkeypatch.chdir(tmp_path)
    for key, value in clean_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["admin", "grant", "slack:U1", "viewer", "--chat", "C9"]) == 0
    assert main(["admin", "list"]) == 0
    assert "grant slack:U1 viewer scope=C9" in capsys.readouterr().out
    assert main(["admin", "revoke", "slack:U1"]) == 0
    assert main(["admin", "list"]) == 0
    assert "slack:U1" not in capsys.readouterr().out.split("removed", 1)[1]
    assert main(["admin", "grant", "telegram1", "operator"]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("onpbx-bot:")]
    assert len(errors) == 1 and "platform:id" in errors[0] and not TRACEBACK.search(err)


def test_doctor_against_the_simulator(tmp_path: Path, simulator: Sim) -> None:
    done = run_cli(tmp_path, "doctor", "--console", ONPBX_DOMAIN=SIM_DOMAIN, ONPBX_KEY=SIM_KEY,
                   ONPBX_URL=simulator.url)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for check in ("settings", "database", "pbx"):
        assert any(line.startswith("ok") and f" {check} " in line for line in lines), done.stdout
    assert "FAIL" not in done.stdout and SIM_KEY not in done.stdout + done.stderr


def test_doctor_with_a_wrong_key_fails_naming_the_domain(tmp_path: Path, simulator: Sim) -> None:
    wrong = "wrong-doctor-key-8080"
    done = run_cli(tmp_path, "doctor", "--console", ONPBX_DOMAIN=SIM_DOMAIN, ONPBX_KEY=wrong,
                   ONPBX_URL=simulator.url)
    assert done.returncode == 1, done.stdout + done.stderr
    [fail] = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert "pbx" in fail and SIM_DOMAIN in fail, fail
    assert wrong not in done.stdout + done.stderr and not TRACEBACK.search(done.stdout + done.stderr)


def test_simulate_help_and_banner(tmp_path: Path, simulator: Sim) -> None:
    done = run_cli(tmp_path, "simulate", "--help")
    assert done.returncode == 0 and "--domain" in done.stdout and "--key" in done.stdout
    assert simulator.first_line.strip() == f"onlinePBX simulator for {SIM_DOMAIN} at {simulator.url}"
    assert SIM_KEY not in simulator.first_line


def test_doctor_checks_the_http_api_login_in_one_line(tmp_path: Path, simulator: Sim) -> None:
    env = {"ONPBX_DOMAIN": SIM_DOMAIN, "ONPBX_URL": simulator.url, "ONPBX_HTTP_URL": simulator.url,
           "ONPBX_HISTORY": "on"}
    done = run_cli(tmp_path, "doctor", "--console", ONPBX_KEY=SIM_KEY, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    [line] = [line for line in done.stdout.splitlines() if " http-api " in line]
    assert line.startswith("ok") and "HTTP API login ok" in line
    wrong = "wrong-http-key-4242"
    done = run_cli(tmp_path, "doctor", "--console", ONPBX_KEY=wrong, **env)
    fails = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert done.returncode == 1, done.stdout
    assert any(" http-api " in f and "WRONG_API_KEY" in f for f in fails), done.stdout
    assert wrong not in done.stdout + done.stderr
