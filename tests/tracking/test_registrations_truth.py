"""Issue #10 items 10-12: several devices per extension, offline on time (only genuine flapping
is folded), and silent seeding after a (re)connect that still alerts a phone back online."""

from __future__ import annotations

from pathlib import Path

from bot.domain import ChatRef, RegistrationChange, SipUser
from bot.events import Registration
from bot.tracking.registrations import RegistrationTracker
from storage.sqlite import SqliteStore
from tests.alerts.test_alerts import add_chat
from tests.alerts.test_pipeline import make, outbox
from tests.tracking.test_calls import Clock

DESK = ("10.0.0.5", 5060, "Yealink SIP-T46S")
SOFT = ("192.168.1.7", 5062, "Zoiper 5")
MOBILE = ("", None, "onlinePBX mobile 2.1")


def register(uid: str, device: tuple[str, int | None, str], expires: int | None = 60) -> Registration:
    ip, port, agent = device
    return Registration(uid=uid, state="register", agent=agent, ip=ip, port=port, expires=expires)


def test_each_device_is_a_contact_and_the_extension_goes_offline_with_the_last() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock, grace_s=10)
    [online] = tracker.feed(register("201", DESK, 60))
    assert online.online and online.agent == "Yealink SIP-T46S"
    assert tracker.feed(register("201", SOFT, 300)) == [] and tracker.feed(register("201", MOBILE, 600)) == []
    assert tracker.feed(register("201", DESK, 0)) == []  # the desk phone unregisters: the others remain
    clock.advance(400)
    assert tracker.tick(clock()) == []  # the softphone lapsed, the mobile app still holds it
    assert tracker.online()["201"].agent == "onlinePBX mobile 2.1"
    [offline] = tracker.feed(register("201", MOBILE, 0))  # expires 0: removed at once
    assert not offline.online and offline.ext == "201" and tracker.online() == {}


def test_a_phone_that_stops_refreshing_is_offline_within_expires_grace_and_5_s() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock, grace_s=30, flap_window_s=300)
    [online] = tracker.feed(register("201", DESK, 60))  # came online a minute before it lapses
    seen: list[RegistrationChange] = []
    second = 0
    while not seen and second < 200:
        second += 1
        clock.advance(1)
        seen += tracker.tick(clock())
    [offline] = seen
    assert not offline.online and 90 < second <= 95  # not held back by the flap window
    assert online.online


def test_the_flap_threshold_is_configurable() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock, flap_window_s=300, flap_changes=5)
    out = []
    for _ in range(2):
        out += tracker.feed(register("201", DESK, 3600))
        clock.advance(5)
        out += tracker.unregistered("201")
        clock.advance(5)
    assert [c.online for c in out] == [True, False, True, False]  # four changes, all at once
    assert tracker.feed(register("201", DESK, 3600)) == []  # the fifth starts folding


def test_refreshes_before_the_phone_list_are_silent_and_a_phone_alerted_offline_comes_back() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock, flap_window_s=0)
    tracker.feed(register("201", DESK))
    tracker.feed(register("202", DESK))
    [gone] = tracker.unregistered("202")
    assert not gone.online
    tracker.begin_seed()  # reconnected; user_list is on its way
    assert tracker.feed(register("203", SOFT)) == []  # a refresh, not a new phone
    clock.advance(5)
    back = tracker.seed([SipUser("201", ip="10.0.0.5", port=5060), SipUser("202", ip="10.0.0.5", port=5060),
                         SipUser("203", ip="192.168.1.7", port=5062)], clock())  # fmt: skip
    assert [(c.ext, c.online) for c in back] == [("202", True)]
    assert set(tracker.online()) == {"201", "202", "203"}
    clock.advance(1)
    [new] = tracker.feed(register("204", SOFT))  # seeded: registrations alert again
    assert new.online


async def test_a_phone_alerted_offline_before_a_restart_is_alerted_back_online(tmp_path: Path) -> None:
    clock, db = Clock(), tmp_path / "bot.sqlite3"
    chat = ChatRef("telegram", "-42")
    store = await SqliteStore.open(str(db))
    await add_chat(store, chat, "202")
    first = make(store, clock)
    await first.handle(register("202", DESK))
    clock.advance(120)
    await first.tick()  # lapsed: "offline" alerted
    await store.close()

    store = await SqliteStore.open(str(db))
    second = make(store, clock)
    await second.restore()
    second.begin_seed()
    await second.seed_users([SipUser("202", ip="10.0.0.5", port=5060)])
    alerts = (await outbox(store, chat))[chat]
    assert [(a.ext, a.online) for a in alerts] == [("202", True), ("202", False), ("202", True)]
    await second.seed_users([SipUser("202", ip="10.0.0.5", port=5060)])  # a second reconnect: silent
    assert len((await outbox(store, chat))[chat]) == 3
    await store.close()
