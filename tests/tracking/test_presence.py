"""Presence: blf status + registration state + user_list names per extension."""

from __future__ import annotations

from bot.domain import SipUser
from bot.events import Blf, Registration
from bot.tracking.presence import Presence
from bot.tracking.registrations import RegistrationTracker
from tests.tracking.test_calls import Clock


def test_presence_merges_blf_registration_and_names() -> None:
    clock = Clock()
    regs = RegistrationTracker(clock=clock)
    presence = Presence(regs)
    regs.feed(Registration(uid="201", state="register", agent="Yealink", ip="10.0.0.5", expires=60))
    presence.on_blf(Blf(uid="201", status="ringing"))
    presence.on_blf(Blf(uid="201", status="answered"))
    presence.on_blf(Blf(uid="203", status="weird-new-status"))
    presence.update_users([SipUser(uid="202", name="Boris"), SipUser(uid="201", name="Anna")])
    states = presence.extension_states()
    assert list(states) == ["201", "202", "203"]
    s201 = states["201"]
    assert s201.online and s201.agent == "Yealink" and s201.ip == "10.0.0.5"
    assert s201.blf == "answered" and s201.name == "Anna"
    assert not states["202"].online and states["202"].name == "Boris"
    assert states["203"].blf == "weird-new-status"
    regs.unregistered("201")
    assert not presence.extension_states()["201"].online


def test_presence_memory_is_bounded() -> None:
    presence = Presence(RegistrationTracker(clock=Clock()), max_extensions=3)
    for i in range(10):
        presence.on_blf(Blf(uid=str(100 + i), status="hangup"))
    presence.on_blf(Blf(uid="", status="hangup"))
    assert list(presence.extension_states()) == ["100", "101", "102"]
