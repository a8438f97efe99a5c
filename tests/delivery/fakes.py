"""Recording fakes for the delivery worker tests: a fake clock whose ``sleep`` moves time, a
``ChatSender`` that records sends and edits and can be scripted to fail, and a plain renderer."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.delivery.worker import DeliveryWorker
from bot.domain import Alert, CallCard, ChatRef, ChatSettings, MissedCall, OutMessage, RegistrationChange
from bot.ports import PacingLimits

T0 = 1_780_000_000.0  # a fixed UNIX time (2026-05-28 20:26:40 UTC)


class FakeClock:
    """``clock()`` returns ``now``; ``await clock.sleep(s)`` records ``s`` and moves time."""

    def __init__(self, start: float = T0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._slept_more = asyncio.Event()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._slept_more.set()
        self.now += seconds
        await asyncio.sleep(0)

    async def wait_sleeps(self, count: int) -> None:
        """Return once ``sleep`` was called at least ``count`` times."""
        while len(self.slept) < count:
            self._slept_more.clear()
            await self._slept_more.wait()


@dataclass(frozen=True, slots=True)
class Sent:
    op: str  # "send" | "edit"
    chat: ChatRef
    text: str
    at: float
    message_id: str


Outcome = BaseException | None


@dataclass
class RecordingSender:
    """A ``ChatSender`` that records what it delivered. ``script(...)`` queues outcomes for the
    next calls (None = success, an exception = raise it); ``outage(chat, now)`` may return an
    exception to raise for every call while it does."""

    platform: str = "telegram"
    clock: Callable[[], float] = field(default=lambda: T0)
    limits: PacingLimits = field(default_factory=lambda: PacingLimits(1.0, 20))
    delivered: list[Sent] = field(default_factory=list)
    attempts: list[tuple[str, ChatRef, float]] = field(default_factory=list)
    outage: Callable[[ChatRef, float], BaseException | None] | None = None
    _plan: deque[Outcome] = field(default_factory=deque)
    _next_id: int = 100
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def script(self, *outcomes: Outcome) -> None:
        self._plan.extend(outcomes)

    def limits_for(self, chat: ChatRef) -> PacingLimits:
        return self.limits

    def _fail(self, op: str, chat: ChatRef) -> None:
        now = self.clock()
        self.attempts.append((op, chat, now))
        error = self._plan.popleft() if self._plan else None
        if error is None and self.outage is not None:
            error = self.outage(chat, now)
        if error is not None:
            raise error

    async def send(self, chat: ChatRef, message: OutMessage) -> str:
        self._fail("send", chat)
        self._next_id += 1
        self._record(Sent("send", chat, message.text, self.clock(), str(self._next_id)))
        return str(self._next_id)

    async def edit(self, chat: ChatRef, message_id: str, message: OutMessage) -> None:
        self._fail("edit", chat)
        self._record(Sent("edit", chat, message.text, self.clock(), message_id))

    def _record(self, sent: Sent) -> None:
        self.delivered.append(sent)
        self._changed.set()

    async def wait_delivered(self, count: int) -> None:
        """Return once at least ``count`` messages were delivered (for tests driving ``run()``)."""
        while len(self.delivered) < count:
            self._changed.clear()
            await self._changed.wait()

    def to(self, chat: ChatRef) -> list[Sent]:
        return [s for s in self.delivered if s.chat == chat]


def alert_key(alert: Alert) -> str:
    if isinstance(alert, RegistrationChange):
        return f"reg:{alert.ext}"
    return alert.call_id


class FakeRenderer:
    """Single alerts render as ``missed:<call_id>``, digests as ``digest:<id>,<id>,...``."""

    def __init__(self) -> None:
        self.digests: list[list[Alert]] = []

    def render(self, alert: Alert, chat: ChatSettings) -> OutMessage:
        if isinstance(alert, CallCard):
            return OutMessage.plain(f"card:{alert.call_id}:{alert.phase}")
        return OutMessage.plain(f"{alert.kind}:{alert_key(alert)}")

    def render_digest(self, alerts: list[Alert], chat: ChatSettings) -> OutMessage:
        self.digests.append(list(alerts))
        return OutMessage.plain("digest:" + ",".join(alert_key(a) for a in alerts))


def covered(sent: list[Sent]) -> list[str]:
    """Alert keys covered by these messages, in delivery order (cards excluded)."""
    keys: list[str] = []
    for s in sent:
        kind, _, rest = s.text.partition(":")
        if kind == "digest":
            keys.extend(rest.split(","))
        elif kind != "card":
            keys.append(rest)
    return keys


def missed(n: int, at_ms: int = 0) -> MissedCall:
    return MissedCall(
        call_id=f"c{n}", caller_number="+79990000000", caller_name="", extensions=("101",),
        destination="100", gate="trunk", started_ms=at_ms, ended_ms=at_ms + 1000,
        hangup_cause="NO_ANSWER",
    )


def card(
    call_id: str, phase: str = "ringing", *, ended_ms: int | None = None, missed: bool = False
) -> CallCard:
    return CallCard(
        call_id=call_id, phase=phase, direction="in", caller_number="+79990000000",  # type: ignore[arg-type]
        caller_name="", callee="100", extensions=("101",), gate="trunk", started_ms=0,
        ended_ms=ended_ms, missed=missed,
    )


async def drive(worker: DeliveryWorker, clock: FakeClock, until: float, max_passes: int = 10_000) -> int:
    """Run passes, jumping the fake clock to each ``next_wake``, until the next wake is past
    ``until`` (the clock then stops at ``until``); returns the number of passes (a busy loop
    shows up as a huge count)."""
    passes = 0
    while True:
        await worker.deliver_once()
        passes += 1
        assert passes < max_passes, "the worker busy-loops"
        assert worker.next_wake is not None
        if worker.next_wake > until:
            clock.now = max(clock.now, until)
            return passes
        clock.now = max(clock.now, worker.next_wake)


class TextRenderer:
    """Renders an alert as ``missed <caller number>`` and a digest as ``N alerts``: adapter tests
    read these plain texts off their stand-in servers."""

    def render(self, alert: Alert, chat: ChatSettings) -> OutMessage:
        return OutMessage.plain(f"missed {getattr(alert, 'caller_number', '?')}")

    def render_digest(self, alerts: list[Alert], chat: ChatSettings) -> OutMessage:
        return OutMessage.plain(f"{len(alerts)} alerts")


class StillClock:
    """A clock that stays where the test puts it (``now``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
