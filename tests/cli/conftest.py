"""Fixtures for driving ``onpbx-bot`` as a real subprocess.

Strategy: every process runs with HOME and cwd in tmp so no ``.env`` is picked up, and a minimal
environment (no inherited ONPBX_/BOT_/TELEGRAM_/SLACK_ variables). One simulator per session.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIM_DOMAIN = "cli.onpbx.ru"
SIM_KEY = "sim-secret-key-0451"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A controlled environment: PATH, PYTHONPATH=repo, HOME=home, plus ``extra``."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "PYTHONPATH": str(ROOT),
           "PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
           "BOT_DB": str(home / "bot.sqlite3"),
           "ONPBX_HISTORY": "off",  # hermetic: its default HTTP URL is the vendor's (tests turn it on)
           "ONPBX_HTTP_URL": "http://127.0.0.1:9"}  # nothing listens there: no lookup of the vendor
    env.update(extra)
    return env


def make_db(home: Path) -> Path:
    """Create the (empty, migrated) database ``clean_env`` points BOT_DB at, as ``run`` would."""
    from storage.sqlite import SqliteStore

    async def create() -> None:
        store = await SqliteStore.open(str(home / "bot.sqlite3"))
        await store.close()

    asyncio.run(create())
    return home / "bot.sqlite3"


def run_cli(home: Path, *argv: str, timeout: float = 30.0, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot.cli ARGV`` to completion in ``home``."""
    return subprocess.run([sys.executable, "-m", "bot.cli", *argv], cwd=home, env=clean_env(home, **env),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def spawn_cli(home: Path, *argv: str, **env: str) -> subprocess.Popen[str]:
    """Start ``python -m bot.cli ARGV`` in the background (stdout/stderr piped)."""
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *argv], cwd=home, env=clean_env(home, **env),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


def stop(
    proc: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = 10.0
) -> tuple[int, str, str]:
    """Send ``sig`` and collect (returncode, stdout, stderr); kills after ``timeout``."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"process did not stop within {timeout} s: {err[-2000:]}") from None
    return proc.returncode, out, err


@dataclass
class Sim:
    port: int
    url: str
    proc: subprocess.Popen[str]
    first_line: str


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    """One ``onpbx-bot simulate`` shared by the CLI tests, on a free port."""
    home = tmp_path_factory.mktemp("sim")
    port = free_port()
    proc = spawn_cli(home, "simulate", "--port", str(port), "--domain", SIM_DOMAIN, "--key", SIM_KEY)
    assert proc.stdout is not None
    try:
        wait_port(port)
        line = proc.stdout.readline()
        yield Sim(port, f"http://127.0.0.1:{port}", proc, line)
    finally:
        stop(proc)


TRACEBACK = re.compile(r"Traceback \(most recent call last\)")


class Lines:
    """Collects a pipe's lines on a thread so a test can wait for one without blocking forever."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, needle: str, timeout: float = 15.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(needle in line for line in list(self.lines)) >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"no {needle!r} within {timeout} s in:\n{''.join(self.lines)[-3000:]}")

    def text(self) -> str:
        self._thread.join(timeout=5)
        return "".join(self.lines)
