"""The first hour (issue 24), as a new user meets it: ``cp .env.example .env``, then the CLI in a
subprocess. Empty values are "not set", every bad value is said at once with an example, the
domain's obvious forms are normalised, a missing or half chat platform stops ``run``/``doctor``,
Telegram usernames are refused as ids, a signal ends the start-up probe at once, ``admin``
creates no database, ``--version``."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest

from bot.config import Settings
from tests.cli.conftest import (
    ROOT,
    SIM_DOMAIN,
    SIM_KEY,
    TRACEBACK,
    Lines,
    Sim,
    make_db,
    run_cli,
    spawn_cli,
    stop,
)

pytestmark = pytest.mark.timeout(90)
EXAMPLE = ROOT / ".env.example"
LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def copied_example(home: Path, **values: str) -> Path:
    """``home/.env``: ``.env.example`` as copied, with ``values`` filled in."""
    out = []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        found = LINE.match(line)
        if found and found.group(1) in values:
            line = f"{found.group(1)}={values.pop(found.group(1))}"
        out.append(line)
    out += [f"{name}={value}" for name, value in values.items()]
    (home / ".env").write_text("\n".join(out) + "\n", encoding="utf-8")
    return home / ".env"


def example_as_environment() -> dict[str, str]:
    """Every ``NAME=value`` of ``.env.example`` as an environment variable, empty ones included:
    what systemd's ``EnvironmentFile`` and ``docker --env-file`` pass."""
    found = (LINE.match(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines())
    env = {m.group(1): m.group(2) for m in found if m}
    env.pop("BOT_DB")  # clean_env's own, so nothing lands in the repo
    return env


def errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert not TRACEBACK.search(done.stdout + done.stderr), done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("onpbx-bot: configuration error: ")]


def fails(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert not TRACEBACK.search(done.stdout + done.stderr), done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith("FAIL")]


def test_a_copied_env_example_has_no_setting_wrong_only_missing(tmp_path: Path) -> None:
    copied_example(tmp_path)
    run = run_cli(tmp_path, "run")
    lines = errors(run)
    assert run.returncode == 2 and len(lines) == 3, run.stderr  # all at once
    assert "ONPBX_DOMAIN is not set" in lines[0] and "e.g. mycompany.onpbx.ru" in lines[0]
    assert "ONPBX_KEY is not set" in lines[1]
    assert "no chat platform" in lines[2] and "TELEGRAM_BOT_TOKEN" in lines[2] and "--console" in lines[2]
    doctor = run_cli(tmp_path, "doctor")
    assert doctor.returncode == 1
    assert [f.split(None, 2)[1] for f in fails(doctor)] == ["settings"] * 3, doctor.stdout
    assert "valid integer" not in run.stderr + doctor.stdout + doctor.stderr
    demo = run_cli(tmp_path, "demo", "--duration", "0.5")
    assert demo.returncode == 0 and "demo finished." in demo.stdout, demo.stderr[-2000:]


def test_empty_values_in_the_environment_are_not_set(tmp_path: Path) -> None:
    """No ``.env``: the same empty values arrive as environment variables (docker, systemd)."""
    env = example_as_environment()
    assert env["SLACK_HTTP_PORT"] == "" and env["BOT_HTTP_PORT"] == ""
    done = run_cli(tmp_path, "run", "--console", **env)
    lines = errors(done)
    assert done.returncode == 2 and len(lines) == 2, done.stderr
    assert "ONPBX_DOMAIN is not set" in lines[0] and "ONPBX_KEY is not set" in lines[1]
    env.update(ONPBX_DOMAIN=SIM_DOMAIN, ONPBX_KEY=SIM_KEY, ONPBX_URL="http://127.0.0.1:9", BOT_HTTP_PORT=" ")
    doctor = run_cli(tmp_path, "doctor", "--console", **env)
    assert [f.split(None, 2)[1] for f in fails(doctor)] == ["pbx", "http-api"], doctor.stdout  # nobody there
    assert "ok   settings  domain cli.onpbx.ru" in doctor.stdout


def test_every_bad_value_is_said_at_once_with_an_example(tmp_path: Path) -> None:
    copied_example(tmp_path, ONPBX_DOMAIN=SIM_DOMAIN, ONPBX_KEY=SIM_KEY, SLACK_HTTP_PORT="abc",
                   BOT_TIMEZONE="Mars/Olympus", BOT_LANGUAGE="de", ONPBX_EVENTS="calls,weather",
                   BOT_HTTP_PORT="99999")
    done = run_cli(tmp_path, "run", "--console")
    lines = errors(done)
    assert done.returncode == 2
    named = [line.removeprefix("onpbx-bot: configuration error: ").split(":", 1)[0] for line in lines]
    assert named == ["ONPBX_EVENTS", "SLACK_HTTP_PORT", "BOT_LANGUAGE", "BOT_TIMEZONE", "BOT_HTTP_PORT"]
    assert all("e.g. " in line for line in lines), lines
    assert next(line for line in lines if "BOT_TIMEZONE" in line).endswith("(e.g. Europe/Moscow)")
    assert "'abc' is not a whole number (e.g. 3000)" in lines[1]
    assert SIM_KEY not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("typed", "domain"),
    [("https://mycompany.onpbx.ru", "mycompany.onpbx.ru"), ("mycompany.onpbx.ru/", "mycompany.onpbx.ru"),
     (" HTTPS://MyCompany.onpbx.ru// ", "mycompany.onpbx.ru"), ("pbx.example.com", "pbx.example.com"),
     ("wss://10.0.0.5/", "10.0.0.5"), ("мояатс.рф", "xn--80axgne0f.xn--p1ai")],
)
def test_the_obvious_forms_of_a_domain_are_normalised(typed: str, domain: str) -> None:
    settings = Settings(_env_file=None, onpbx_domain=typed)  # type: ignore[call-arg]
    assert settings.onpbx_domain == domain
    assert settings.pbx_base_url == f"https://{domain}:8093"


def test_a_domain_with_a_scheme_and_slash_works_against_the_simulator(tmp_path: Path, simulator: Sim) -> None:
    copied_example(tmp_path, ONPBX_DOMAIN=f"https://{SIM_DOMAIN}/", ONPBX_KEY=SIM_KEY,
                   ONPBX_URL=simulator.url)
    done = run_cli(tmp_path, "doctor", "--console", ONPBX_HISTORY="on", ONPBX_HTTP_URL=simulator.url)
    assert done.returncode == 0 and not fails(done), done.stdout + done.stderr
    assert f"domain {SIM_DOMAIN}," in done.stdout and "HTTP API login ok" in done.stdout


@pytest.mark.parametrize("typed", ["mycompany.onpbx.ru/panel", "my company.onpbx.ru",
                                   "mycompany.onpbx.ru:8093", "https://", "key=abc@mycompany.onpbx.ru"])
def test_other_domains_are_refused_showing_the_expected_form(tmp_path: Path, typed: str) -> None:
    copied_example(tmp_path, ONPBX_DOMAIN=typed, ONPBX_KEY=SIM_KEY)
    [line] = errors(run_cli(tmp_path, "run", "--console"))
    assert line.startswith("onpbx-bot: configuration error: ONPBX_DOMAIN: ")
    assert "e.g. mycompany.onpbx.ru" in line
    assert "ONPBX_URL" in line  # where a different address goes


def sim_env(simulator: Sim) -> dict[str, str]:
    return {"ONPBX_DOMAIN": SIM_DOMAIN, "ONPBX_KEY": SIM_KEY, "ONPBX_URL": simulator.url}


def test_no_chat_platform_fails_doctor_and_run(tmp_path: Path, simulator: Sim) -> None:
    doctor = run_cli(tmp_path, "doctor", **sim_env(simulator))
    [fail] = fails(doctor)
    assert doctor.returncode == 1 and "no chat platform" in fail and "run --console" in fail, doctor.stdout
    assert any(line.startswith("ok   pbx") for line in doctor.stdout.splitlines())  # the rest still checked
    run = run_cli(tmp_path, "run", **sim_env(simulator))
    [line] = errors(run)
    assert run.returncode == 2 and "no chat platform" in line


@pytest.mark.parametrize(
    ("given", "named"),
    [({"SLACK_BOT_TOKEN": "xoxb-half-1"}, ["SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_HTTP_PORT"]),
     ({"SLACK_BOT_TOKEN": "xoxb-half-2", "SLACK_SIGNING_SECRET": "sig-half-2"}, ["SLACK_HTTP_PORT"]),
     ({"SLACK_APP_TOKEN": "xapp-half-3"}, ["SLACK_BOT_TOKEN"])],
)
def test_a_half_configured_slack_fails_doctor_and_run_naming_what_is_missing(
    tmp_path: Path, simulator: Sim, given: dict[str, str], named: list[str]
) -> None:
    doctor = run_cli(tmp_path, "doctor", **sim_env(simulator), **given)
    [fail] = fails(doctor)
    assert doctor.returncode == 1 and all(name in fail for name in named), fail
    run = run_cli(tmp_path, "run", **sim_env(simulator), **given)
    [line] = errors(run)
    assert run.returncode == 2 and all(name in line for name in named), line
    demo = run_cli(tmp_path, "demo", "--duration", "0.5", **given)  # it would serve that Slack too
    assert demo.returncode == 2 and errors(demo) == [line]
    assert not any(secret in doctor.stdout + run.stderr for secret in given.values())


def test_telegram_usernames_are_refused_as_ids(tmp_path: Path) -> None:
    copied_example(tmp_path, ONPBX_DOMAIN=SIM_DOMAIN, ONPBX_KEY=SIM_KEY,
                   BOT_ADMINS="telegram:@ivan,slack:U0ABC1")
    [line] = errors(run_cli(tmp_path, "run", "--console"))
    assert "BOT_ADMINS: telegram:@ivan" in line and "numbers" in line and "/start" in line, line
    copied_example(tmp_path)
    make_db(tmp_path)
    grant = run_cli(tmp_path, "admin", "grant", "telegram:@ivan", "operator")
    [line] = errors(grant)
    assert grant.returncode == 2 and "numbers" in line and "/start" in line and "private chat" in line
    assert "grant " not in run_cli(tmp_path, "admin", "list").stdout  # nothing granted
    slack = run_cli(tmp_path, "admin", "grant", "slack:anna", "viewer")
    assert slack.returncode == 2 and "member id" in slack.stderr and "Copy member ID" in slack.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_during_the_start_up_api_probe_stops_at_once(tmp_path: Path, sig: int) -> None:
    """ONPBX_API=auto with an unreachable PBX: the probe waits up to 8 s per API; a signal ends
    every wait (Docker kills after 10 s)."""
    proc = spawn_cli(tmp_path, "run", "--console", ONPBX_DOMAIN="127.0.0.1", ONPBX_KEY=SIM_KEY,
                     ONPBX_API="auto")
    assert proc.stderr is not None
    err = Lines(proc.stderr)
    try:
        err.wait_for("wss://127.0.0.1:3342")  # the 3.0 probe failed once and is waiting to retry
    finally:
        code, _, rest = stop(proc, sig, timeout=5.0)  # an upper bound, far below the probe's 16 s
    text = err.text() + rest  # stop() reads what the line collector had not read yet
    assert code == 0 and not TRACEBACK.search(text), text
    assert "stopped during start-up" in text and SIM_KEY not in text


def test_admin_refuses_to_create_a_database_and_both_name_the_one_they_use(tmp_path: Path) -> None:
    elsewhere = tmp_path / "another-folder"
    elsewhere.mkdir()
    would_be = elsewhere / "onpbx-bot.sqlite3"
    listing = run_cli(elsewhere, "admin", "list", BOT_DB="./onpbx-bot.sqlite3")
    [line] = errors(listing)
    assert listing.returncode == 2 and f"no database at {would_be}" in line and "setup" in line
    code = run_cli(elsewhere, "admin", "code", BOT_DB="./onpbx-bot.sqlite3")
    assert code.returncode == 2 and not would_be.exists()
    doctor = run_cli(elsewhere, "doctor", "--console", BOT_DB="./onpbx-bot.sqlite3")
    assert f"ok   database  {would_be} does not exist yet" in doctor.stdout, doctor.stdout
    assert not would_be.exists()
    db = make_db(tmp_path)
    listed = run_cli(tmp_path, "admin", "list")
    assert listed.returncode == 0 and listed.stdout.splitlines()[0] == f"database {db}"
    doctor = run_cli(tmp_path, "doctor", "--console")
    assert f"ok   database  {db}: 0 chat(s)" in doctor.stdout


def test_version(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--version")
    assert done.returncode == 0
    assert re.fullmatch(r"onpbx-bot \d+\.\d+\.\d+\S*", done.stdout.strip()), done.stdout


def test_an_unreachable_slack_is_one_line_per_retry(tmp_path: Path, simulator: Sim) -> None:
    slack = {"SLACK_BOT_TOKEN": "xoxb-unreachable-77", "SLACK_APP_TOKEN": "xapp-unreachable-78",
             "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    proc = spawn_cli(tmp_path, "run", **sim_env(simulator), **slack)
    assert proc.stderr is not None
    err = Lines(proc.stderr)
    try:
        err.wait_for("Socket Mode link down")
    finally:
        code, out, rest = stop(proc)
    text = err.text() + rest
    assert code == 0 and not TRACEBACK.search(text), text
    slack_lines = [line for line in text.splitlines() if "slack" in line.lower() and "127.0.0.1:9" in line]
    assert len(slack_lines) == 1 and "reconnect attempt 1 in 10 s" in slack_lines[0], text
    assert "will be unused" not in text  # bolt's warning about SLACK_BOT_TOKEN being our setting's name
    assert not any(secret in text + out for secret in slack.values() if "xox" in secret or "xapp" in secret)
