"""RegistrationTracker: online/offline changes, refreshes, grace, flapping folded, seeding."""

from __future__ import annotations

from bot.domain import SipUser
from bot.events import Registration
from bot.tracking.registrations import RegistrationTracker
from tests.tracking.test_calls import Clock

AGENT = "Yealink SIP-T46S 66.86.0.15"


def reg(state: str, uid: str = "201", expires: int | None = 60, ip: str = "10.0.0.5") -> Registration:
    return Registration(uid=uid, state=state, agent=AGENT, ip=ip, port=5060, expires=expires)


def register_fully(tracker: RegistrationTracker, uid: str = "201", expires: int = 60) -> list[object]:
    out: list[object] = []
    for state in ("pre_register", "register_attempt", "register"):
        out += tracker.feed(reg(state, uid, expires))
    return out


def test_register_is_online_alert_and_refresh_is_silent() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock)
    assert tracker.feed(reg("pre_register")) == [] and tracker.feed(reg("register_attempt")) == []
    assert tracker.online() == {}
    [change] = tracker.feed(reg("register"))
    assert change.ext == "201" and change.online and change.agent == AGENT and change.ip == "10.0.0.5"
    assert change.at_ms == round(clock() * 1000) and change.flaps == 1
    clock.advance(50)
    assert tracker.feed(reg("register")) == []  # refresh
    clock.advance(50)
    assert tracker.tick(clock()) == []  # refreshed at +50: expires at +110
    assert tracker.online()["201"].agent == AGENT


def test_lapsed_registration_goes_offline_after_grace() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock, grace_s=10, flap_window_s=0)
    register_fully(tracker)
    clock.advance(65)
    assert tracker.tick(clock()) == []  # inside expires + grace
    clock.advance(6)
    [change] = tracker.tick(clock())
    assert not change.online and change.ext == "201" and change.ip == "10.0.0.5"
    assert tracker.online() == {} and tracker.tick(clock()) == []
    [back] = tracker.feed(reg("register"))
    assert back.online


def test_grace_is_capped_at_30_seconds() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock, grace_s=600, flap_window_s=0)
    register_fully(tracker)
    clock.advance(91)
    assert [c.online for c in tracker.tick(clock())] == [False]


def test_blf_unregistered_marks_offline_once() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock, flap_window_s=0)
    register_fully(tracker)
    [change] = tracker.unregistered("201")
    assert not change.online
    assert tracker.unregistered("201") == [] and tracker.unregistered("999") == []


def test_flapping_is_folded_into_one_summary_once_the_extension_settles() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock, flap_window_s=300)
    [first] = register_fully(tracker, expires=3600)
    clock.advance(10)
    [second] = tracker.unregistered("201")  # two changes are not flapping: both go out at once
    assert first.online and not second.online
    for _ in range(3):  # online, offline, online ... : from the third change on, folded
        clock.advance(10)
        assert tracker.feed(reg("register", expires=3600, ip="10.0.0.9")) == []
        clock.advance(10)
        assert tracker.unregistered("201") == []
    clock.advance(10)
    assert tracker.feed(reg("register", expires=3600, ip="10.0.0.9")) == []
    other = register_fully(tracker, uid="202", expires=3600)  # another extension is not held back
    assert len(other) == 1
    clock.advance(299)
    assert tracker.tick(clock()) == []  # not quiet for a whole window yet
    clock.advance(1)
    [folded] = tracker.tick(clock())
    assert folded.ext == "201" and folded.flaps == 7 and folded.online and folded.ip == "10.0.0.9"
    clock.advance(10)
    [calm] = tracker.unregistered("201")  # settled: the next single change is immediate again
    assert not calm.online and calm.flaps == 1


def test_seeded_phones_are_online_without_alert() -> None:
    clock = Clock()
    tracker = RegistrationTracker(clock=clock, grace_s=0, flap_window_s=0)
    exp_ms = round((clock() + 120) * 1000)
    tracker.seed(
        [SipUser(uid="201", agent=AGENT, ip="1.2.3.4", exp_ms=exp_ms), SipUser(uid="202"), SipUser("")],
        clock(),
    )
    assert set(tracker.online()) == {"201", "202"} and tracker.online()["201"].ip == "1.2.3.4"
    clock.advance(119)
    assert tracker.tick(clock()) == []
    clock.advance(2)
    [gone] = tracker.tick(clock())  # 201's registration lapsed; 202 got the default 3600 s
    assert gone.ext == "201" and not gone.online and set(tracker.online()) == {"202"}
    assert tracker.feed(reg("register", uid="202")) == []  # a refresh of a seeded phone


def test_unknown_states_and_empty_uid_change_nothing() -> None:
    tracker = RegistrationTracker(clock=Clock())
    assert tracker.feed(reg("register", uid="")) == []
    assert tracker.feed(reg("weird")) == [] and tracker.online() == {}
