"""A throwaway PostgreSQL server for tests and benchmarks: one cluster per session, a fresh
schema per test.

Strategy: the server binaries come from ``pg_config --bindir`` (Debian's postgresql-15:
/usr/lib/postgresql/15/bin), else the newest /usr/lib/postgresql/*/bin; initdb and postgres
refuse to run as root, so as root they run as the ``postgres`` user in a temporary directory it
owns. The cluster listens on a free loopback port with password (scram) authentication, so the
DSNs the stores get carry a password as in production; each test gets a fresh schema (its own
``search_path``) in the session's database, which isolates a store as well as a new database
would, for a fortieth of the time (CREATE DATABASE copies ~8 MB and takes ~200 ms here).
Without the binaries the PostgreSQL tests skip loudly, and under ``CI=true`` they fail.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SUPERUSER = "onpbx"
#: settings for a disposable cluster: nothing it writes has to survive a crash
FAST = (
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "wal_level=minimal",
    "-c",
    "max_wal_senders=0",
    "-c",
    "max_wal_size=4GB",
    "-c",
    "checkpoint_timeout=1h",
)
_NEEDED = ("initdb", "pg_ctl", "postgres")


def find_bindir() -> Path | None:
    """Where initdb, pg_ctl and postgres are (``PG_BINDIR`` overrides), or None."""
    candidates: list[str] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            candidates.append(out.stdout.strip())
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for folder in [*candidates, *versions]:
        if folder and all((Path(folder) / name).is_file() for name in _NEEDED):
            return Path(folder)
    return None


def _version(folder: str) -> float:
    try:
        return float(Path(folder).parent.name)
    except ValueError:
        return 0.0


def server_problem() -> str | None:
    """Why no throwaway server can be started here, or None."""
    if find_bindir() is None:
        return ("the PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found: "
                "install Debian's postgresql-15 (or set PG_BINDIR)")  # fmt: skip
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run the server as"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """One disposable cluster: ``start()``, ``dsn(db)``, ``create_database()``, ``stop()``."""

    def __init__(self, bindir: Path, *, fast: bool = True) -> None:
        self.bindir = bindir
        self.fast = fast
        self.password = secrets.token_urlsafe(12)
        self.port = 0
        self.root = Path(tempfile.mkdtemp(prefix="onpbx-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
        self.data = self.root / "data"
        self._owner: dict[str, Any] = {}
        self._names = itertools.count(1)
        if os.geteuid() == 0:  # initdb and postgres refuse root: run them as `postgres`
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._owner = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        self.root.chmod(0o700)

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout,
            cwd=self.root, env={**os.environ, "LC_ALL": "C.UTF-8", "PGTZ": "UTC"}, check=False,
            **self._owner,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}\n{self._log_tail()}"
            )

    def _log_tail(self) -> str:
        log = self.root / "server.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""

    def start(self) -> PgCluster:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._owner:
            os.chown(pwfile, self._owner["user"], self._owner["group"])
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--pwfile", str(pwfile),
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-instructions", *(["--no-sync"] if self.fast else []))  # fmt: skip
        pwfile.unlink()
        for attempt in range(3):  # another process may take the free port before the server does
            self.port = free_port()
            options = ["-p", str(self.port), "-k", str(self.root), "-c", "listen_addresses=127.0.0.1",
                       "-c", "max_connections=200", *(FAST if self.fast else ())]  # fmt: skip
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                          "-t", "60", "-o", " ".join(options), "start")  # fmt: skip
                return self
            except RuntimeError:
                if attempt == 2:
                    raise
        return self

    def dsn(self, dbname: str = "postgres", *, password: str | None = None) -> str:
        """A ``postgresql://`` URL of ``dbname`` over TCP, with the superuser's password."""
        secret = self.password if password is None else password
        return f"postgresql://{SUPERUSER}:{secret}@127.0.0.1:{self.port}/{dbname}"

    def sql(self, statement: str, *params: Any, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        """Run one statement as the superuser (autocommit) and return its rows."""
        import psycopg

        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            cur = conn.execute(statement, params or None)
            return cur.fetchall() if cur.description else []

    def new_name(self, prefix: str) -> str:
        """A database or schema name not used before in this cluster."""
        return f"{prefix}{os.getpid()}_{next(self._names)}"

    def create_database(self, template: str = "template0") -> str:
        """A new empty database (or a copy of ``template``); returns its name."""
        name = self.new_name("t")
        self.sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY WAL_LOG')
        return name

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.port and (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def running_cluster(*, fast: bool = True) -> Iterator[PgCluster]:
    """A started cluster, stopped and removed on exit (benchmarks use this directly)."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(server_problem() or "no PostgreSQL server binaries")
    cluster = PgCluster(bindir, fast=fast)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


_SESSION: dict[str, Any] = {}  # the session's cluster once started ("cluster"), or why not ("error")
_USES = {"pg_cluster", "pg_database", "pg_dsn"}


def wants_postgres(item: pytest.Item) -> bool:
    """The test uses the server: one of its fixtures, or the ``postgres`` store parameter."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return bool(_USES & set(getattr(item, "fixturenames", ()))) or "postgres" in params.values()


def _session_cluster(config: pytest.Config) -> PgCluster:
    if "cluster" not in _SESSION and "error" not in _SESSION:
        bindir = find_bindir()
        assert bindir is not None
        cluster = PgCluster(bindir)
        config.add_cleanup(cluster.stop)  # before start: a half-started cluster goes too
        try:
            _SESSION["cluster"] = cluster.start()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            _SESSION["error"] = f"the throwaway PostgreSQL server did not start: {exc}"
    if "error" in _SESSION:
        pytest.fail(_SESSION["error"])
    return _SESSION["cluster"]  # type: ignore[no-any-return]


@pytest.hookimpl(trylast=True)  # after -k/-m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the server before the first test when a selected test needs it, so that its start
    (seconds on a loaded machine) is not counted in that test's timeout."""
    if server_problem() is None and any(wants_postgres(item) for item in items):
        with contextlib.suppress(pytest.fail.Exception):  # reported by the fixture, test by test
            _session_cluster(config)


@pytest.fixture(scope="session")
def pg_cluster(pytestconfig: pytest.Config) -> PgCluster:
    """The session's throwaway cluster; fails under CI, skips loudly elsewhere, without a server."""
    problem = server_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {problem}")
        warnings.warn(f"SKIPPING PostgreSQL test: {problem}", stacklevel=1)
        pytest.skip(f"LOUD SKIP: {problem}")
    return _session_cluster(pytestconfig)


@pytest.fixture(scope="session")
def pg_database(pg_cluster: PgCluster) -> str:
    """The session's database (the tests' schemas live in it)."""
    return pg_cluster.create_database()


@pytest.fixture
def pg_dsn(pg_cluster: PgCluster, pg_database: str) -> Iterator[str]:
    """A URL whose ``search_path`` is a fresh, empty schema of the session's database, dropped
    after the test: as isolated as a new database for a store, in 5 ms instead of 200."""
    schema = pg_cluster.new_name("s")
    pg_cluster.sql(f'CREATE SCHEMA "{schema}"', dbname=pg_database)
    try:
        yield in_schema(pg_cluster.dsn(pg_database), schema)
    finally:
        pg_cluster.sql(f'SET lock_timeout = 10000; DROP SCHEMA "{schema}" CASCADE', dbname=pg_database)


def in_schema(dsn: str, schema: str) -> str:
    """``dsn`` with every session's ``search_path`` set to ``schema`` (libpq ``options``)."""
    return f"{dsn}{'&' if '?' in dsn else '?'}options=-csearch_path%3D{schema}"
