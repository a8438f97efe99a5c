"""Supervision: every long-running task of the bot survives any exception and says how it is.

Strategy: :meth:`Supervisor.spawn` runs a named coroutine function in a loop that catches every
``Exception`` (not only the project's own), logs the first failure with its traceback and then at
most one line a minute, counts it, backs off and runs the function again; a function that returns
is done. Loops that retry on their own (the delivery worker's passes, a chat poller) report
through the same :class:`TaskHealth` with :meth:`Supervisor.watch`, and a ``probe`` lets a task
that handles its own errors (the call history) say it is failing. ``status()`` feeds /healthz.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.backoff import Backoff
from bot.text import flat

logger = logging.getLogger(__name__)

LOG_EVERY_S = 60.0  # a failing task logs at most one line a minute after its first traceback
STABLE_AFTER_S = 60.0  # a rerun that ran this long without failing counts as recovered
ERROR_MAX = 200  # characters of an error kept for /healthz
Probe = Callable[[], str | None]  # the task's own word: an error text while failing, else None
Runnable = Callable[[], Awaitable[Any]]


class TaskHealth:
    """One task's failures: ``failed(exc)`` logs (rate-limited), counts and returns the delay
    before the next try; ``recovered()`` says it works again. ``status()`` is its /healthz entry."""

    def __init__(
        self, name: str, *, clock: Callable[[], float], redact: Callable[[str], str],
        probe: Probe | None = None, log_every_s: float = LOG_EVERY_S,
        stable_after_s: float = STABLE_AFTER_S, backoff: Backoff | None = None,
    ) -> None:
        self.name, self.probe = name, probe
        self._clock, self._redact = clock, redact
        self._log_every_s, self._stable_after_s = log_every_s, stable_after_s
        self.backoff = backoff or Backoff(base=1.0, cap=60.0)
        self.failures = 0  # ever: onpbx_task_failures_total{task}
        self.failing = False
        self.last_error = ""
        self._failed_at: float | None = None
        self._logged_at: float | None = None  # None: the next failure is a "first" one
        self._silent = 0  # failures not logged since the last line
        self._rerun_at: float | None = None

    def failed(self, exc: BaseException) -> float:
        """Record a failure of the task; returns how long to wait before running it again."""
        now = self._clock()
        if self._rerun_at is not None and now - self._rerun_at >= self._stable_after_s:
            self.backoff.reset()  # it had been running well: start the backoff afresh
            self._logged_at = None
        self.failures += 1
        self.failing, self._failed_at, self._rerun_at = True, now, None
        self.last_error = flat(self._redact(f"{type(exc).__name__}: {exc}"), ERROR_MAX)
        delay = self.backoff.next_delay()
        self._log(exc, now, delay)
        return delay

    def _log(self, exc: BaseException, now: float, delay: float) -> None:
        if self._logged_at is None:
            logger.error("task %s failed; running it again in %.1f s: %s", self.name, delay,
                         self.last_error, exc_info=exc)
        elif now - self._logged_at >= self._log_every_s:
            logger.error("task %s is still failing (%d more time(s) since the last line); "
                         "next try in %.1f s: %s", self.name, self._silent + 1, delay, self.last_error)
        else:
            self._silent += 1
            return
        self._logged_at, self._silent = now, 0

    def rerun(self) -> None:
        """The task starts again after a failure: it is well once it has run a while."""
        self._rerun_at = self._clock()

    def recovered(self) -> None:
        """The task works again (a pass or a connect succeeded)."""
        if self.failing:
            logger.info("task %s works again after %d failure(s)", self.name, self.failures)
        self.failing, self._rerun_at, self._logged_at, self._silent = False, None, None, 0
        self.backoff.reset()

    def status(self) -> dict[str, Any]:
        """``{"state": "ok"|"failing", "failures": n, "last_error": text}`` for /healthz."""
        rerun = self._rerun_at
        if self.failing and rerun is not None and self._clock() - rerun >= self._stable_after_s:
            self.recovered()
        own = self.probe() if self.probe is not None else None
        failing = self.failing or bool(own)
        error = flat(self._redact(own), ERROR_MAX) if own else self.last_error if self.failing else ""
        return {"state": "failing" if failing else "ok", "failures": self.failures, "last_error": error}


class Supervisor:
    """The bot's tasks by name. ``spawn`` one (it runs until cancelled or it returns), ``watch``
    a loop that supervises itself, read ``status()`` / ``failures()``, and ``stop()`` them all.
    ``clock`` and ``sleep`` are injected so tests drive the backoff without waiting."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        redact: Callable[[str], str] = str, log_every_s: float = LOG_EVERY_S,
        stable_after_s: float = STABLE_AFTER_S, backoff_cap_s: float = 60.0,
    ) -> None:
        self._clock, self._sleep, self._redact = clock, sleep, redact
        self._log_every_s, self._stable_after_s, self._cap = log_every_s, stable_after_s, backoff_cap_s
        self._health: dict[str, TaskHealth] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def watch(self, name: str, probe: Probe | None = None) -> TaskHealth:
        """The health record of task ``name`` (made on first use; ``probe`` is kept if given)."""
        health = self._health.get(name)
        if health is None:
            health = self._health[name] = TaskHealth(
                name, clock=self._clock, redact=self._redact, log_every_s=self._log_every_s,
                stable_after_s=self._stable_after_s, backoff=Backoff(base=1.0, cap=self._cap))
        if probe is not None:
            health.probe = probe
        return health

    def spawn(self, name: str, run: Runnable, *, probe: Probe | None = None) -> asyncio.Task[None]:
        """Run ``run()`` as the supervised task ``name`` (see the module docstring)."""
        task = asyncio.get_running_loop().create_task(self.supervise(name, run, probe=probe), name=name)
        self._tasks[name] = task
        task.add_done_callback(lambda done: self._forget(name, done))
        return task

    def _forget(self, name: str, done: asyncio.Task[None]) -> None:
        if self._tasks.get(name) is done:
            del self._tasks[name]

    async def supervise(self, name: str, run: Runnable, *, probe: Probe | None = None) -> None:
        """Await ``run()`` until it returns, running it again after every exception."""
        health = self.watch(name, probe)
        while True:
            try:
                await run()
                health.recovered()  # it ran to its end: whatever failed before works now
                return
            except Exception as exc:  # anything at all: the bot must outlive every input
                delay = health.failed(exc)
            await self._sleep(delay)
            health.rerun()

    def status(self) -> dict[str, dict[str, Any]]:
        """Each task's /healthz entry, by name."""
        return {name: health.status() for name, health in sorted(self._health.items())}

    def failures(self) -> dict[str, int]:
        """Failures per task, ever (``onpbx_task_failures_total{task}``)."""
        return {name: health.failures for name, health in sorted(self._health.items())}

    @property
    def degraded(self) -> bool:
        """True while any task is failing."""
        return any(s["state"] == "failing" for s in self.status().values())

    async def stop(self, within_s: float = 1.0) -> None:
        """Cancel every spawned task still running and wait up to ``within_s`` seconds."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=within_s)
