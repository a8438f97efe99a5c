"""Self-resolving missed-call alerts over call flows, with the exact edits each flow produces.

Each flow is a row of :data:`FLOWS`: the calls that follow a missed call from +7 916 123-45-67
(rung on 201) at 12:00 UTC, and the follow-up lines of every edit the chat receives, in order.
Real parts: the tracker, the pipeline, FollowUps, the outbox (Memory and SQLite stores), the
delivery worker and the real Renderer; only the chat is a recording sender.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.alerts import AlertRouter, EventPipeline, FollowUps, Renderer
from bot.delivery import DeliveryWorker
from bot.domain import ChatRef
from bot.errors import MessageGone
from bot.events import PbxEvent
from bot.ports import Store
from bot.tracking import CallTracker, Presence, RegistrationTracker
from storage.memory import MemoryStore
from storage.sqlite import SqliteStore
from tests.delivery.fakes import RecordingSender
from tests.tracking.test_calls import CALLER, Clock, a_leg, answer, b_leg, bridge, destroy

NOON = 1_700_049_600.0  # 2023-11-15 12:00:00 UTC
CHAT = ChatRef("telegram", "-100")
NAMES = {"201": "Anna Smirnova", "202": "Boris Ivanov"}
Step = Callable[[Clock, str], list[tuple[float, PbxEvent]]]  # (seconds after previous, event)


def missed(clock: Clock, uid: str) -> list[tuple[float, PbxEvent]]:
    return [(0, a_leg(uid, clock=clock)), (0, b_leg(f"{uid}b", "201", clock=clock)),
            (20, destroy(f"{uid}b", "NO_ANSWER")), (0.1, destroy(uid, "ORIGINATOR_CANCEL", "inbound"))]  # fmt: skip  # noqa: E501


def callback(ext: str, talk_s: float | None, number: str = CALLER) -> Step:
    """Click-to-call from ``ext``: its phone rings first, then the number (answered or not)."""

    def steps(clock: Clock, uid: str) -> list[tuple[float, PbxEvent]]:
        out: list[tuple[float, PbxEvent]] = [
            (0, b_leg(f"{uid}u", ext, caller=number, gate="", clock=clock)), (2, answer(f"{uid}u")),
            (0.1, b_leg(f"{uid}v", number, caller=ext, clock=clock)),
        ]  # fmt: skip
        if talk_s is None:
            return [*out, (15, destroy(f"{uid}v", "NO_ANSWER")), (0.1, destroy(f"{uid}u", "NORMAL_CLEARING"))]
        return [*out, (3, answer(f"{uid}v")), (0, bridge(f"{uid}u", f"{uid}v")),
                (talk_s, destroy(f"{uid}v", "NORMAL_CLEARING")), (0.1, destroy(f"{uid}u", "NORMAL_CLEARING"))]  # fmt: skip  # noqa: E501

    return steps


def calls_again(ext: str | None) -> Step:
    """The same number calls again; ``ext`` answers after 4 s (None: missed again)."""

    def steps(clock: Clock, uid: str) -> list[tuple[float, PbxEvent]]:
        other = "+79161234567"  # the same number, written otherwise (bot.phone.number_key)
        out: list[tuple[float, PbxEvent]] = [(0, a_leg(uid, caller=other, clock=clock)),
                                             (0, b_leg(f"{uid}b", ext or "201", caller=other, clock=clock))]  # fmt: skip  # noqa: E501
        if ext is None:
            return [*out, (20, destroy(f"{uid}b", "NO_ANSWER")), (0.1, destroy(uid, "ORIGINATOR_CANCEL", "inbound"))]  # noqa: E501
        return [*out, (4, answer(f"{uid}b")), (0, bridge(uid, f"{uid}b")), (60, destroy(f"{uid}b", "NORMAL_CLEARING")),  # noqa: E501
                (0.1, destroy(uid, "NORMAL_CLEARING", "inbound"))]  # fmt: skip

    return steps


#: name -> [(minutes after the missed call, what happens)], the follow-up lines of each edit
FLOWS: dict[str, tuple[list[tuple[float, Step]], list[list[str]]]] = {
    "callback answered": (
        [(5, callback("201", 133))],
        [["✅ Called back by 201 (Anna Smirnova) at 12:05, talked 2:13"]],
    ),
    "callback unanswered then answered": (
        [(5, callback("201", None)), (30, callback("201", 61))],
        [["↩ 201 tried at 12:05, no answer"],
         ["✅ Called back by 201 (Anna Smirnova) at 12:30, talked 1:01"]],
    ),
    "two tries by two extensions": (
        [(5, callback("201", None)), (7, callback("202", None))],
        [["↩ 201 tried at 12:05, no answer"],
         ["↩ 201 tried at 12:05, no answer", "↩ 202 tried at 12:07, no answer"]],
    ),
    "caller calls again and is answered": (
        [(20, calls_again("202"))],
        [["✅ Called again at 12:20, answered by 202 (Boris Ivanov)"]],
    ),
    "caller calls again and is missed again": ([(20, calls_again(None))], []),
    "another extension calls back": (
        [(45, callback("202", 30))],
        [["✅ Called back by 202 (Boris Ivanov) at 12:45, talked 0:30"]],
    ),
    "after the window": ([(25 * 60, callback("201", 10))], []),
    "another number calls back": ([(5, callback("201", 10, number="79160000000"))], []),
    "resolved once, later calls change nothing": (
        [(5, callback("201", 10)), (10, calls_again("202")), (15, callback("202", None))],
        [["✅ Called back by 201 (Anna Smirnova) at 12:05, talked 0:10"]],
    ),
}  # fmt: skip


class Rig:
    """The event side and the delivery side of the bot on one store, driven by a test clock."""

    def __init__(self, store: Store) -> None:
        self.store, self.clock = store, Clock(NOON)
        self.followups = FollowUps(store, country="RU", window_h=24, names=lambda e: NAMES.get(e, ""))
        regs = RegistrationTracker(clock=self.clock, flap_window_s=0)
        self.pipe = EventPipeline(store, tracker=CallTracker(clock=self.clock, ttl_s=48 * 3600),
                                  registrations=regs, presence=Presence(regs),
                                  router=AlertRouter(store, cache_ttl_s=0), clock=self.clock,
                                  followups=self.followups)  # fmt: skip
        self.sender = RecordingSender(clock=self.clock)
        self.worker = DeliveryWorker(store, {"telegram": self.sender}, Renderer("RU"), clock=self.clock)
        self.uid = 0

    async def setup(self) -> None:
        s = await self.store.ensure_chat(CHAT, title="Office", language="en", timezone="UTC")
        await self.store.update_chat(s)
        await self.store.bind(CHAT, "201")

    async def play(self, steps: list[tuple[float, PbxEvent]]) -> None:
        for pause, event in steps:
            self.clock.advance(pause)
            await self.pipe.handle(event)
        await self.deliver()

    async def deliver(self) -> None:
        for _ in range(5):
            self.clock.advance(2)
            await self.worker.deliver_once()

    async def at(self, minutes: float, step: Step) -> None:
        self.clock.t = max(self.clock.t, NOON + minutes * 60)
        self.uid += 1
        await self.play(step(self.clock, f"F{self.uid}"))

    def edits(self) -> list[list[str]]:
        return [[line for line in s.text.splitlines() if line[:1] in "✅↩"]
                for s in self.sender.delivered[1:] if s.op == "edit"]  # fmt: skip


@pytest.mark.parametrize("name", list(FLOWS))
async def test_resolution_flows(name: str) -> None:
    rig = Rig(MemoryStore())
    await rig.setup()
    await rig.play(missed(rig.clock, "M1"))
    [first] = rig.sender.delivered
    assert first.op == "send" and "Missed call" in first.text, name
    later, expected = FLOWS[name]
    for minutes, step in later:
        await rig.at(minutes, step)
    assert rig.edits() == expected, name
    assert all(s.message_id == first.message_id for s in rig.sender.delivered if s.op == "edit"), name


async def test_done_button_edits_the_alert_once_with_who_and_when() -> None:
    rig = Rig(MemoryStore())
    await rig.setup()
    await rig.play(missed(rig.clock, "M1"))
    rig.clock.t = NOON + 3600
    assert await rig.followups.mark_done("M1", "Anna", rig.clock())
    assert not await rig.followups.mark_done("M1", "Boris", rig.clock())  # already resolved
    await rig.deliver()
    assert rig.edits() == [["✅ Marked done by Anna at 13:00"]]
    await rig.at(70, callback("201", 10))  # a later callback changes nothing
    assert len(rig.edits()) == 1


async def test_open_alert_has_call_back_and_done_buttons_resolved_has_none() -> None:
    rig = Rig(MemoryStore())
    await rig.setup()
    await rig.play(missed(rig.clock, "M1"))
    [entry] = await rig.store.missed_alerts("M1")
    chat = await rig.store.get_chat(CHAT)
    assert chat is not None
    shown = Renderer("RU").render(entry.alert, chat)
    assert [(b.action, b.arg) for row in shown.buttons for b in row] == [("call", CALLER), ("done", "M1")]
    resolved = dataclasses.replace(entry.alert, resolution="done", resolved_by="Anna", resolved_ms=1)  # type: ignore[type-var]
    assert Renderer("RU").render(resolved, chat).buttons == ()


async def test_resolution_survives_a_restart_and_edits_exactly_once(tmp_path: Path) -> None:
    db = str(tmp_path / "bot.sqlite3")
    store = await SqliteStore.open(db)
    rig = Rig(store)
    await rig.setup()
    await rig.play(missed(rig.clock, "M1"))
    clock = rig.clock
    await rig.at(5, callback("201", None))  # one try, delivered
    rig.clock.t = NOON + 40 * 60
    for pause, event in callback("201", 20)(rig.clock, "F9"):  # resolved, not yet delivered
        rig.clock.advance(pause)
        await rig.pipe.handle(event)
    await store.close()
    store2 = await SqliteStore.open(db)  # a new process: a new worker, same database
    rig2 = Rig(store2)
    rig2.clock, rig2.sender = clock, rig.sender
    rig2.worker = DeliveryWorker(store2, {"telegram": rig.sender}, Renderer("RU"), clock=clock)
    await rig2.deliver()
    await rig2.deliver()
    assert rig2.edits() == [["↩ 201 tried at 12:05, no answer"],
                            ["✅ Called back by 201 (Anna Smirnova) at 12:40, talked 0:20"]]  # fmt: skip
    [rec] = [r for r in await store2.calls_between(0, 2**62) if r.call_id == "M1"]
    assert (rec.resolution, rec.resolved_by, rec.tries) == ("callback", "201", (("201", int((NOON + 300) * 1000)),))  # noqa: E501
    await store2.close()


async def test_a_deleted_alert_gets_a_new_message_instead_of_an_edit() -> None:
    rig = Rig(MemoryStore())
    await rig.setup()
    await rig.play(missed(rig.clock, "M1"))
    rig.sender.script(MessageGone("message to edit not found"))
    await rig.at(5, callback("201", 10))
    last = rig.sender.delivered[-1]
    assert (last.op, last.text) == ("send", "📵 Missed call\n✅ Called back by 201 (Anna Smirnova) at 12:05, talked 0:10")  # noqa: E501


async def test_a_missed_call_folded_into_a_digest_is_resolved_in_the_digest() -> None:
    rig = Rig(MemoryStore())
    await rig.setup()
    numbers = ["79160000001", "79160000002", "79160000003", "79160000004"]
    for i, number in enumerate(numbers):
        rig.clock.advance(1)
        await rig.pipe.handle(a_leg(f"D{i}", caller=number, clock=rig.clock))
        await rig.pipe.handle(b_leg(f"D{i}b", "201", caller=number, clock=rig.clock))
    for i in range(len(numbers)):
        await rig.pipe.handle(destroy(f"D{i}b", "NO_ANSWER"))
        await rig.pipe.handle(destroy(f"D{i}", "ORIGINATOR_CANCEL", "inbound"))
    await rig.deliver()
    [digest] = rig.sender.delivered
    assert digest.text.startswith("4 missed calls") and "✅" not in digest.text
    await rig.at(10, callback("201", 42, number="79160000003"))
    [edit] = [s for s in rig.sender.delivered if s.op == "edit"]
    assert edit.message_id == digest.message_id
    lines = edit.text.splitlines()
    assert len(lines) == 5 and lines[0] == "4 missed calls"
    assert [line.endswith(" ✅") for line in lines[1:]] == [False, False, True, False]
    assert "+7 916 000-00-03" in lines[3]


def test_follow_up_lines_flatten_names_from_outside() -> None:
    """An extension's name (the PBX's) or a Done presser's display name is one bounded line."""
    from bot.alerts import followup
    from bot.domain import MissedCall

    base = MissedCall("A1", "79161234567", "", ("201",), "201", "", 0, 1000, "")
    called = dataclasses.replace(base, resolution="callback", resolved_by="201",
                                 resolved_name="Anna\nReason: call back +7 999", resolved_ms=60_000)
    done = dataclasses.replace(base, resolution="done", resolved_by="Eve\u202e\nadmin", resolved_ms=60_000)
    for m in (called, done):
        [line] = followup.lines(m, "en", lambda ms: "14:05")
        assert "\n" not in line and "\u202e" not in line
