"""``onpbx-bot setup`` end to end against the simulator and the Telegram and Slack stand-ins: from
flags (no terminal) and from a pseudo-terminal (questions, secrets without echo, a wrong key asked
again), ``.env`` written 0600 and never replaced unasked, and the one-time admin link: the
Telegram deep link pairs whoever opens it in a private chat, exactly once."""

from __future__ import annotations

import asyncio
import os
import re
import select
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.commands.service import CommandService
from bot.config import Settings
from bot.domain import ChatCommand, ChatRef, Role, UserRef
from storage.sqlite import SqliteStore
from tests.cli.conftest import (
    ROOT,
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
from tests.fakes import FakeCalls, FakePresence, RecordingPbx
from tests.slack.standin import SlackStandIn
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(90)
TOKEN = "123456:setup-telegram-token-0451"
LINK = re.compile(r"https://t\.me/pbx_setup_bot\?start=pair-([A-Z0-9]{8})")


def pbx_env(simulator: Sim) -> dict[str, str]:
    """Where the simulator answers: its socket and its HTTP API (the settings' own names)."""
    return {"ONPBX_URL": simulator.url, "ONPBX_HTTP_URL": simulator.url, "ONPBX_HISTORY": "on"}


def setup(home: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(home, "setup", *argv, timeout=60.0, **env)


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_setup_from_flags_then_the_deep_link_pairs_exactly_once(tmp_path: Path, simulator: Sim) -> None:
    async with StandIn(username="pbx_setup_bot") as api:
        done = await asyncio.to_thread(
            setup, tmp_path, "--onpbx-domain", f"https://{SIM_DOMAIN}/", "--onpbx-key", SIM_KEY,
            "--telegram-bot-token", TOKEN, TELEGRAM_API_URL=api.url, **pbx_env(simulator))
        out = done.stdout + done.stderr
        assert done.returncode == 0 and not TRACEBACK.search(out), out
        assert SIM_KEY not in out and TOKEN not in out
        assert "ok   HTTP API:" in done.stdout and "ok   socket:" in done.stdout
        assert "ok   Telegram: bot @pbx_setup_bot" in done.stdout and api.of("getMe")
        env = tmp_path / ".env"
        text = env.read_text(encoding="utf-8")
        assert private(env) and f"ONPBX_DOMAIN={SIM_DOMAIN}\n" in text  # normalised
        assert f"ONPBX_KEY={SIM_KEY}\n" in text and f"TELEGRAM_BOT_TOKEN={TOKEN}\n" in text
        assert f"ONPBX_URL={simulator.url}\n" in text and "# --- Telegram" in text  # .env.example's comments
        code = LINK.search(done.stdout)
        assert code is not None, done.stdout
        await _the_link_pairs_once(tmp_path, api, code.group(1))
        (tmp_path / "etc").mkdir()
        elsewhere = await asyncio.to_thread(
            setup, tmp_path, "--env-file", "etc/bot.env", "--domain", SIM_DOMAIN, "--key", SIM_KEY,
            TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url, **pbx_env(simulator))  # token: environment
    assert elsewhere.returncode == 0, elsewhere.stdout + elsewhere.stderr
    assert private(tmp_path / "etc" / "bot.env") and env.read_text(encoding="utf-8") == text  # .env untouched
    assert f"TELEGRAM_BOT_TOKEN={TOKEN}\n" in (tmp_path / "etc" / "bot.env").read_text(encoding="utf-8")


async def _the_link_pairs_once(home: Path, api: StandIn, code: str) -> None:
    """The bot as ``make run`` starts it (``.env`` of this folder); two people open the link."""
    proc = spawn_cli(home, "run")
    assert proc.stderr is not None
    err = Lines(proc.stderr)
    try:
        await asyncio.to_thread(err.wait_for, "PBX link up")
        await api.wait_for("getUpdates", within=10.0)
        api.push_message(777, f"/start pair-{code}", user_id=777)
        [paired] = await api.wait_for("sendMessage", within=10.0)
        api.push_message(778, f"/start pair-{code}", user_id=778, username="eve")
        later = await api.wait_for("sendMessage", 2, within=10.0)
    finally:
        exit_code, _, rest = await asyncio.to_thread(stop, proc)
    assert exit_code == 0 and not TRACEBACK.search(err.text() + rest)
    assert paired["chat_id"] == "777" and "теперь вы администратор" in paired["text"]
    assert later[1]["chat_id"] == "778" and "Неверный или просроченный код" in later[1]["text"]
    listing = await asyncio.to_thread(run_cli, home, "admin", "list")
    assert "grant telegram:777 admin scope=*" in listing.stdout and "grant telegram:778" not in listing.stdout
    assert code not in err.text() + rest  # the code is a secret of the audit too


def test_setup_without_a_terminal_says_what_is_missing(tmp_path: Path) -> None:
    done = setup(tmp_path)
    assert done.returncode == 2 and not (tmp_path / ".env").exists()
    domain, key, platform = done.stderr.strip().splitlines()  # all at once
    assert "ONPBX_DOMAIN is not given" in domain and "--onpbx-domain" in domain
    assert "ONPBX_KEY is not given" in key and "no chat platform given" in platform
    done = setup(tmp_path, "--domain", SIM_DOMAIN, "--key", SIM_KEY)  # no platform: said before any check
    [line] = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "no chat platform given" in line and "--telegram-bot-token" in line
    assert "ok " not in done.stdout and not (tmp_path / ".env").exists()


def test_a_wrong_key_writes_nothing_and_shows_no_key(tmp_path: Path, simulator: Sim) -> None:
    wrong = "wrong-setup-key-9090"
    done = setup(tmp_path, "--domain", SIM_DOMAIN, "--key", wrong, "--telegram-bot-token", TOKEN,
                 **pbx_env(simulator))
    assert done.returncode == 1 and "WRONG_API_KEY" in done.stderr, done.stdout + done.stderr
    assert not (tmp_path / ".env").exists() and not (tmp_path / "bot.sqlite3").exists()
    assert wrong not in done.stdout + done.stderr


def test_an_existing_env_is_replaced_only_when_asked(tmp_path: Path, simulator: Sim) -> None:
    env = tmp_path / ".env"
    env.write_text("ONPBX_DOMAIN=keep.onpbx.ru\n", encoding="utf-8")
    done = setup(tmp_path, "--domain", SIM_DOMAIN, "--key", SIM_KEY, "--telegram-bot-token", TOKEN,
                 **pbx_env(simulator))
    assert done.returncode == 1 and "exists" in done.stderr and "--force" in done.stderr
    assert env.read_text(encoding="utf-8") == "ONPBX_DOMAIN=keep.onpbx.ru\n"


class Pty:
    """``onpbx-bot setup`` on a pseudo-terminal: ``expect`` what it prints, ``send`` a line."""

    def __init__(self, home: Path, *argv: str, **env: str) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "setup", *argv], cwd=home,
                                     env=clean_env(home, **env), stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True)
        os.close(slave)
        self.seen = ""
        self.mark = 0  # where the next expect starts looking

    def expect(self, text: str, timeout: float = 20.0) -> str:
        """Wait for ``text`` printed after what the last expect matched."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.mark:]:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(0.0, left))
            if not ready:
                raise AssertionError(f"no {text!r} within {timeout} s in:\n{self.seen[-3000:]}")
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the other side closed
                chunk = b""
            if not chunk:
                raise AssertionError(f"setup ended before {text!r}:\n{self.seen[-3000:]}")
            self.seen += chunk.decode("utf-8", "replace")
        self.mark = self.seen.index(text, self.mark) + len(text)
        return self.seen

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode("utf-8"))

    def finish(self) -> int:
        code = self.proc.wait(timeout=30)
        while True:  # what is left to read
            ready, _, _ = select.select([self.master], [], [], 0.2)
            try:
                chunk = os.read(self.master, 4096) if ready else b""
            except OSError:
                chunk = b""
            if not chunk:
                break
            self.seen += chunk.decode("utf-8", "replace")
        os.close(self.master)
        return code


async def test_setup_on_a_terminal_for_slack_asks_again_after_a_wrong_key(
    tmp_path: Path, simulator: Sim
) -> None:
    slack = await SlackStandIn().start()
    wrong = "wrong-pty-key-5151"
    bot_token, app_token = "xoxb-pty-setup-1", "xapp-pty-setup-2"
    try:
        term = Pty(tmp_path, SLACK_API_URL=slack.api_url, **pbx_env(simulator))
        try:
            await asyncio.to_thread(_answer_on_the_terminal, term, wrong, bot_token, app_token)
        finally:
            code = await asyncio.to_thread(term.finish)
    finally:
        await slack.stop()
    seen = term.seen
    assert code == 0 and not TRACEBACK.search(seen), seen
    assert f"mycompany.onpbx.ru): {SIM_DOMAIN}" in seen  # this terminal echoes what is typed...
    for secret in (SIM_KEY, wrong, bot_token, app_token):
        assert secret not in seen  # ...but secrets are read without echo, and never printed
    assert "FAIL" in seen and "WRONG_API_KEY" in seen  # the wrong key was refused, then asked again
    assert [c.method for c in slack.calls if c.status == 200][:2] == ["auth.test", "apps.connections.open"]
    pair = re.search(r"in a DM with the app, type /pbx pair ([A-Z0-9]{8})", seen)
    assert pair is not None, seen
    env = tmp_path / ".env"
    text = env.read_text(encoding="utf-8")
    assert private(env) and f"SLACK_BOT_TOKEN={bot_token}\n" in text
    assert f"SLACK_APP_TOKEN={app_token}\n" in text
    assert f"ONPBX_KEY={SIM_KEY}\n" in text and wrong not in text
    assert await _slack_dm_pairs(tmp_path / "bot.sqlite3", pair.group(1))


def _answer_on_the_terminal(term: Pty, wrong: str, bot_token: str, app_token: str) -> None:
    term.expect("PBX domain")
    term.send(SIM_DOMAIN)
    term.expect("PBX API key")
    term.send(wrong)
    term.expect("FAIL")
    term.expect("PBX domain")
    term.send("")  # Enter keeps the domain typed before
    term.expect("PBX API key")
    term.send(SIM_KEY)
    term.expect("Chat platform")
    term.send("slack")
    term.expect("Slack Bot User OAuth Token")
    term.send(bot_token)
    term.expect("Slack app-level token")
    term.send(app_token)
    term.expect("/pbx pair")


async def _slack_dm_pairs(db: Path, code: str) -> bool:
    store = await SqliteStore.open(str(db))
    try:
        settings = Settings(_env_file=None, bot_language="en")  # type: ignore[call-arg]
        service = CommandService(store=store, pbx=RecordingPbx(), calls=FakeCalls(), presence=FakePresence(),
                                 settings=settings, clock=time.time)
        dm = ChatCommand(ChatRef("slack", "D0DM1"), UserRef("slack", "U0NEW1"), "pair", (code,), code,
                         is_private=True)
        replies = await service.handle_command(dm)
        grants = await store.list_grants()
    finally:
        await store.close()
    return "you are an admin" in replies[0].text and any(
        g.user_id == "U0NEW1" and g.role == Role.ADMIN for g in grants)


async def test_on_a_terminal_an_existing_env_is_kept_unless_the_answer_is_yes(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("KEEP=1\n", encoding="utf-8")
    term = Pty(tmp_path)
    try:
        await asyncio.to_thread(term.expect, "exists. Replace it? [y/N]")
        term.send("n")
    finally:
        code = await asyncio.to_thread(term.finish)
    assert code == 1 and "nothing written" in term.seen
    assert env.read_text(encoding="utf-8") == "KEEP=1\n"


def test_the_template_is_the_repositorys_env_example() -> None:
    from bot.cli import envfile

    assert envfile.TEMPLATE == ROOT / ".env.example" and envfile.TEMPLATE.is_file()
    text = envfile.render({"ONPBX_DOMAIN": "a.onpbx.ru", "BOT_EXTRA": "x y"})
    assert "ONPBX_DOMAIN=a.onpbx.ru\n" in text and text.endswith("BOT_EXTRA='x y'\n")
