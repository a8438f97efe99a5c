"""``BOT_DB=postgresql://...`` for ``admin`` and ``doctor`` (real processes, the throwaway server):
they work on PostgreSQL, and neither their output nor their errors ever show the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import SIM_DOMAIN, SIM_KEY, TRACEBACK, Sim, run_cli
from tests.pg import PgCluster

pytestmark = pytest.mark.timeout(60)


def test_admin_and_doctor_run_on_postgresql_without_showing_the_password(
    tmp_path: Path, pg_dsn: str, pg_cluster: PgCluster, simulator: Sim
) -> None:
    def ok(*argv: str, **env: str) -> str:
        done = run_cli(tmp_path, *argv, BOT_DB=pg_dsn, **env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert pg_cluster.password not in done.stdout + done.stderr
        return done.stdout

    assert "granted operator to telegram:1" in ok("admin", "grant", "telegram:1", "operator")
    assert "bound telegram:-100 to extension 201" in ok("admin", "bind", "telegram:-100", "201")
    assert "grant telegram:1 operator" in ok("admin", "list")
    doctor = ok("doctor", ONPBX_DOMAIN=SIM_DOMAIN, ONPBX_KEY=SIM_KEY, ONPBX_URL=simulator.url)
    [database] = [line for line in doctor.splitlines() if " database " in line]
    assert database.startswith("ok") and "postgresql://onpbx:***@" in database and "1 chat(s)" in database
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing went to the default SQLite file


def test_a_wrong_database_password_is_one_line_without_it(tmp_path: Path, pg_cluster: PgCluster) -> None:
    secret = "N0t-The-Passw0rd-4242"
    done = run_cli(tmp_path, "admin", "list", BOT_DB=pg_cluster.dsn("postgres", password=secret))
    assert done.returncode == 1
    assert secret not in done.stdout + done.stderr and not TRACEBACK.search(done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("onpbx-bot:")]
    assert len(errors) == 1, done.stderr
    assert "password authentication failed" in errors[0] and "***" in errors[0], done.stderr
