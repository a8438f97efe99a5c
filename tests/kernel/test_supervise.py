"""The supervisor outlives any exception a task raises (not only the project's own): it logs the
first failure with its traceback and then at most a line a minute, counts failures, backs off,
runs the task again, says ``failing`` (text flattened, secrets redacted) until a rerun has run a
minute, and lets a task that returns end. A fake clock and sleep drive it: nothing waits."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.logsetup import Redactor
from bot.supervise import Supervisor

SECRET = "s3cr3t/key+with=odd~chars!"


class Clock:
    """``clock()`` is ``now``; ``sleep`` moves it and records the delay (never waits)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def _flaky(errors: list[BaseException], clock: Clock, runs: list[float]) -> object:
    async def run() -> None:
        runs.append(clock.now)
        if errors:
            raise errors.pop(0)

    return run


ERRORS = [RecursionError("deep"), OverflowError("1e400"), KeyError("x"), MemoryError()]


@pytest.mark.parametrize("error", ERRORS)
async def test_any_exception_is_survived_and_the_task_runs_again(
    error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    clock, runs = Clock(), []
    sup = Supervisor(clock=clock, sleep=clock.sleep)
    await sup.supervise("history", _flaky([error, error], clock, runs))  # type: ignore[arg-type]
    assert len(runs) == 3  # failed twice, ran a third time and returned: done
    assert sup.failures() == {"history": 2}
    assert clock.slept[1] > clock.slept[0]  # backed off between the reruns
    first = next(r for r in caplog.records if r.name == "bot.supervise")
    assert first.exc_info is not None and type(error).__name__ in first.getMessage()


async def test_repeated_failures_log_at_most_a_line_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    clock, runs = Clock(), []
    sup = Supervisor(clock=clock, sleep=clock.sleep, backoff_cap_s=5.0)
    errors: list[BaseException] = [ValueError(f"bad page {n}") for n in range(40)]
    await sup.supervise("tick", _flaky(errors, clock, runs))  # type: ignore[arg-type]
    lines = [r for r in caplog.records if r.name == "bot.supervise" and r.levelno == logging.ERROR]
    span = clock.now - runs[0]
    assert sup.failures() == {"tick": 40} and len(runs) == 41
    assert 2 <= len(lines) <= span / 60 + 2  # the first, then one a minute (not 40)
    assert lines[0].exc_info is not None and all(r.exc_info is None for r in lines[1:])
    assert "more time(s)" in lines[1].getMessage()
    assert max(clock.slept) <= 5.0 * 1.2  # capped (with jitter)


async def test_status_is_failing_with_a_flat_redacted_error_until_a_rerun_ran_a_minute() -> None:
    clock = Clock()
    sup = Supervisor(clock=clock, sleep=clock.sleep, redact=Redactor([SECRET]))
    health = sup.watch("delivery")
    assert sup.status() == {"delivery": {"state": "ok", "failures": 0, "last_error": ""}}
    health.failed(RuntimeError(f"boom\nkey={SECRET} \u202eevil"))
    status = sup.status()["delivery"]
    assert status["state"] == "failing" and sup.degraded
    assert SECRET not in status["last_error"] and "***" in status["last_error"]
    assert "\n" not in status["last_error"] and "\u202e" not in status["last_error"]
    health.rerun()
    clock.now += 59.0
    assert sup.status()["delivery"]["state"] == "failing"
    clock.now += 2.0
    assert sup.status()["delivery"] == {"state": "ok", "failures": 1, "last_error": ""}
    assert not sup.degraded


async def test_a_probe_says_failing_for_a_task_that_retries_on_its_own() -> None:
    word: list[str | None] = [None]
    sup = Supervisor(redact=Redactor([SECRET]))
    sup.watch("history", probe=lambda: word[0])
    assert sup.status()["history"]["state"] == "ok"
    word[0] = f"HttpBadAnswer: PBX HTTP API mongo_history/search.json: HTTP 200 {SECRET}"
    status = sup.status()["history"]
    assert status["state"] == "failing" and "HTTP 200" in status["last_error"] and SECRET not in str(status)


async def test_spawned_tasks_are_listed_and_stopped() -> None:
    sup = Supervisor()
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    task = sup.spawn("pbx_link", forever)
    await started.wait()
    assert list(sup.status()) == ["pbx_link"] and not task.done()
    await sup.stop()
    assert task.cancelled()
