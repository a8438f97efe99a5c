"""The simulated PBX core: plays step sequences in (scaled) time and applies commands to them.

Strategy: every call is a :class:`Run` (an asyncio task playing pure steps from :mod:`.calls` /
:mod:`.actions`); commands cancel runs and start new ones, and :class:`.book.Book` (fed by every
emitted event) says which channels are live. Emission goes through one sink (the server).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable

from adapters.pbx.simulator import actions
from adapters.pbx.simulator.book import Book
from adapters.pbx.simulator.legs import Leg, Payload, Step, blf, bridge, new_uuid
from adapters.pbx.simulator.roster import Roster

logger = logging.getLogger(__name__)
Sink = Callable[[str, Payload], Awaitable[None]]


class Run:
    """One playing sequence (a call); owns the channels it creates."""

    def __init__(self, spies_on: str = "") -> None:
        self.task: asyncio.Task[None] | None = None
        self.spies_on = spies_on

    def cancel(self) -> None:
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()


def now_ms() -> int:
    return int(time.time() * 1000)


class Engine:
    """Channels, registrations and the commands that change them, for one PBX domain."""

    def __init__(self, domain: str, roster: Roster, sink: Sink, *, seed: int = 0, time_scale: float = 1.0):
        self.domain, self.roster, self._sink = domain, roster, sink
        self.time_scale = time_scale
        self.book = Book(time_scale)
        self.rng = random.Random(f"{seed}:engine")
        self._runs: set[Run] = set()
        #: told every new sequence before it plays (the call history records calls from it)
        self.on_start: Callable[[list[Step]], None] | None = None

    # --- playing ------------------------------------------------------------------------------
    def start(self, steps: list[Step], run: Run | None = None) -> Run:
        """Play ``steps`` (offsets in simulated seconds) in the background."""
        run = run or Run()
        if self.on_start is not None:
            self.on_start(steps)
        run.task = asyncio.create_task(self._play(run, steps))
        self._runs.add(run)
        run.task.add_done_callback(lambda task: self._finished(run, task))
        return run

    def _finished(self, run: Run, task: asyncio.Task[None]) -> None:
        self._runs.discard(run)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a simulated call failed: %r", task.exception())

    async def _play(self, run: Run, steps: list[Step]) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for step in sorted(steps, key=lambda s: s.at):
            delay = t0 + step.at / self.time_scale - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.emit(step.name, step.payload, run)

    async def emit(self, name: str, payload: Payload, owner: Run | None = None) -> None:
        """Record one event in the book, send it, and end the listeners of a destroyed channel."""
        self.book.observe(name, payload, owner)
        uuid = str(payload.get("uuid", ""))
        if name == "channel_create" and owner is not None and owner.spies_on and uuid in self.book.channels:
            self.book.channels[uuid].spies_on = owner.spies_on
        await self._sink(name, payload)
        if name == "channel_destroy":
            for spy in self.book.spies_of(uuid):
                await self.hangup(spy)

    async def stop(self) -> None:
        runs = list(self._runs)
        for run in runs:
            run.cancel()
        await asyncio.gather(*(r.task for r in runs if r.task), return_exceptions=True)

    # --- effects ------------------------------------------------------------------------------
    def _other(self, leg: Leg) -> str:
        return leg.caller_number if leg.caller_number != leg.ext else leg.destination_number

    async def _destroy(self, uuid: str, cause: str) -> None:
        live = self.book.channels.get(uuid)
        if live is None:
            return
        await self.emit("channel_destroy", live.leg.destroy(cause))
        if live.leg.ext:
            await self.emit("blf", blf(live.leg.ext, "hangup", uuid, self._other(live.leg), now_ms()))

    async def _retire(self, owners: Iterable[object], keep: set[str]) -> None:
        """Stop the runs of ``owners`` and end their channels except ``keep`` (and peers of none)."""
        doomed: list[str] = []
        for owner in {id(o): o for o in owners if o is not None}.values():
            if isinstance(owner, Run):
                owner.cancel()
            doomed += [u for u in self.book.owned_by(owner) if u not in keep]
        for uuid in keep:
            peer = self.book.channels[uuid].peer if uuid in self.book.channels else ""
            if peer and peer not in keep:
                doomed.append(peer)
        for uuid in dict.fromkeys(doomed):
            live = self.book.channels.get(uuid)
            await self._destroy(uuid, "NORMAL_CLEARING" if live and live.answered else "ORIGINATOR_CANCEL")

    async def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        """End channel ``uuid``, its bridged peer and the rest of its call."""
        live = self.book.channels.get(uuid)
        if live is None:
            return
        await self._retire([live.owner], keep={uuid})
        await self._destroy(uuid, cause)

    def _tail(self, at: float, legs: list[Leg], t0_ms: int) -> list[Step]:
        ms = t0_ms + round(at * 1000)
        steps = [Step(at + i * 0.01, "channel_destroy", leg.destroy("NORMAL_CLEARING"))
                 for i, leg in enumerate(legs)]
        return steps + [Step(at + 0.05, "blf", blf(leg.ext, "hangup", leg.uuid, self._other(leg), ms))
                        for leg in legs if leg.ext]

    def _talk(self) -> float:
        return self.rng.uniform(5.0, 120.0)

    def make_call(self, frm: str, to: str, *, shown_number: str = "", shown_name: str = "",
                  gate: str = "") -> str:
        """Start a click-to-call (ring ``frm``, then ``to``); returns the first leg's uuid."""
        uuid = new_uuid(self.rng)
        steps = actions.click_to_call(
            frm, to, uuid=uuid, rng=self.rng, t0_ms=now_ms(), domain=self.domain,
            trunk=gate or self.roster.main_trunk, from_is_ext=self.roster.is_extension(frm),
            to_is_ext=self.roster.is_extension(to), shown_number=shown_number, shown_name=shown_name,
            ring_s=self.rng.uniform(2.0, 6.0), talk_s=self._talk())
        self.start(steps)
        return uuid

    def _new_leg(self, caller: Leg | None, to: str, gate: str, t0: int, ring: float,
                 number: str) -> tuple[Leg, list[Step]]:
        return actions.new_leg(caller, to, leg_uuid=new_uuid(self.rng), t0_ms=t0, domain=self.domain,
                               trunk=gate or self.roster.main_trunk, to_is_ext=self.roster.is_extension(to),
                               caller_number=number, ring_s=ring)

    async def transfer(self, uuid: str, to: str, gate: str = "") -> None:
        live = self.book.channels[uuid]
        await self._retire([live.owner], keep={uuid})
        run, t0 = Run(), now_ms()
        live.owner = run
        ring = self.rng.uniform(1.0, 4.0)
        leg, steps = self._new_leg(live.leg, to, gate, t0, ring, live.leg.caller_number)
        steps.insert(0, Step(0.0, "channel_application",
                             {"uuid": uuid, "application": "transfer", "application_data": to}))
        if not live.answered:
            steps.append(Step(ring + 0.02, "channel_answer", live.leg.answer(t0 + round(ring * 1000))))
        steps.append(Step(ring + 0.03, "channel_bridge", bridge(uuid, leg.uuid, live.leg.direction)))
        self.start(steps + self._tail(ring + self._talk(), [leg, live.leg], t0), run)

    async def bridge(self, uuid: str, to_uuid: str) -> None:
        a, b = self.book.channels[uuid], self.book.channels[to_uuid]
        await self._retire([a.owner, b.owner], keep={uuid, to_uuid})
        run, t0 = Run(), now_ms()
        a.owner = b.owner = run
        steps = [Step(0.0, "channel_answer", x.leg.answer(t0)) for x in (a, b) if not x.answered]
        steps.append(Step(0.01, "channel_bridge", bridge(uuid, to_uuid, a.leg.direction)))
        steps += [Step(0.02, "blf", blf(x.leg.ext, "answered", x.leg.uuid, self._other(x.leg), t0))
                  for x in (a, b) if x.leg.ext]
        self.start(steps + self._tail(self._talk(), [b.leg, a.leg], t0), run)

    def eavesdrop(self, uuid: str, frm: str, gate: str = "") -> str:
        target = self.book.channels[uuid]
        ring = self.rng.uniform(1.0, 3.0)
        leg, steps = self._new_leg(None, frm, gate, now_ms(), ring, target.leg.caller_number)
        steps.append(Step(ring + 0.02, "channel_application",
                          {"uuid": leg.uuid, "application": "eavesdrop", "application_data": uuid}))
        self.start(steps, Run(spies_on=uuid))
        return leg.uuid
