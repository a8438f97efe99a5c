"""Keeps a :class:`Lease` for as long as it runs: a standby polls to acquire it, the holder renews it.

Strategy: one loop, one step at a time: renew while holding, else try to acquire; a database
error is logged once per streak and the loop goes on (``holds()`` runs out by the process's own
clock meanwhile). While holding, it wakes no later than the lease's deadline, so
``on_change(False)`` comes the moment the holding ends; on cancel it releases the lease, so a
standby takes over at its next poll instead of waiting for the expiry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.errors import StorageError
from storage.postgres.lease import Lease

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class LeaseKeeper:
    """Runs ``lease``; ``on_change(True)`` when this process becomes the holder, ``(False)`` when
    it stops being it (lost, expired or released). ``holding`` is the last state reported."""

    def __init__(
        self, lease: Lease, on_change: Callable[[bool], None] | None = None, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.lease = lease
        self._on_change = on_change
        self._sleep = sleep
        self.holding = False
        self._failing = False

    async def run(self) -> None:
        """Until cancelled; then releases the lease (if held) and reports the loss."""
        try:
            while True:
                await self.step()
                await self._sleep(self.pause())
        finally:
            await asyncio.shield(self._release())

    async def step(self) -> None:
        """One renew (holding) or one acquisition attempt (not), then report any change."""
        try:
            if self.lease.holds():
                await self.lease.renew()
            else:
                await self.lease.acquire()
            if self._failing:
                logger.info("lease %r: the database answers again", self.lease.name)
            self._failing = False
        except StorageError as exc:
            if not self._failing:
                logger.warning("lease %r: %s (retrying)", self.lease.name, exc)
            self._failing = True
        self._report()

    def pause(self) -> float:
        """Seconds until the next step: the renew period, but no later than the deadline."""
        timing = self.lease.timing
        if not self.lease.holds():
            return timing.poll_s
        return max(0.0, min(timing.renew_s, self.lease.deadline - self.lease.clock()))

    def _report(self) -> None:
        now = self.lease.holds()
        if now == self.holding:
            return
        self.holding = now
        logger.log(logging.INFO if now else logging.WARNING, "lease %r: this process is %s",
                   self.lease.name, "now the holder" if now else "no longer the holder")  # fmt: skip
        if self._on_change is not None:
            self._on_change(now)

    async def _release(self) -> None:
        try:
            await self.lease.release()
        except StorageError as exc:
            logger.warning("lease %r: release failed, it expires by itself: %s", self.lease.name, exc)
        self._report()
