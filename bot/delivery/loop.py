"""A wake-able pass loop: run a pass, sleep until the time it names (or a ``wake()``), repeat.

Strategy: the delivery worker's passes are plain coroutines driven by a fake clock in tests; this
small driver adds the asyncio parts (sleep racing a wake event, backoff on failure, stop).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.backoff import Backoff
from bot.errors import StorageError
from bot.supervise import TaskHealth

logger = logging.getLogger(__name__)


class PassLoop:
    """Calls ``one_pass()`` (returning the time of the next pass worth doing) until ``stop()``.

    Sleeps are capped at ``idle_poll_s`` (a safety net for changes nobody announced); a failing
    pass is logged and retried with capped exponential backoff, so the loop never dies. With a
    ``health`` (the supervisor's record of this task) failures are logged and counted through it
    (the first with its traceback, then a line a minute) and /healthz shows the loop failing.
    """

    def __init__(
        self,
        one_pass: Callable[[], Awaitable[float]],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        idle_poll_s: float,
        backoff: Backoff,
        health: TaskHealth | None = None,
    ) -> None:
        self._health = health
        self._one_pass = one_pass
        self._clock = clock
        self._sleep = sleep
        self._idle_poll = idle_poll_s
        self._backoff = backoff
        self._wake = asyncio.Event()
        self._stopping = False
        self._done: asyncio.Event | None = None

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Ask ``run()`` to return after the pass in flight (never cut mid-send); wait for it."""
        self._stopping = True
        self._wake.set()
        if self._done is not None:
            await self._done.wait()

    async def run(self) -> None:
        self._done, failures = asyncio.Event(), 0  # a stop() that came first still counts
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    delay = await self._one_pass() - self._clock()
                    failures = 0
                    if self._health is not None and self._health.failing:
                        self._health.recovered()
                except Exception as exc:  # StorageError: the store is busy; anything else: a bug
                    delay = self._backoff.peek(failures)
                    failures += 1
                    self._failed(exc, delay, failures)
                await self._wait(min(max(delay, 0.0), self._idle_poll))
        finally:
            self._done.set()
            self._done = None
            self._stopping = False  # the next run() starts afresh

    def _failed(self, exc: Exception, delay: float, failures: int) -> None:
        if self._health is not None:
            self._health.failed(exc)
            return
        logger.warning("outbox pass failed (%s); retry in %.0fs (attempt %d)", exc, delay, failures,
                       exc_info=not isinstance(exc, StorageError))

    async def _wait(self, delay: float) -> None:
        if self._wake.is_set():
            return
        sleeper = asyncio.ensure_future(self._sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
