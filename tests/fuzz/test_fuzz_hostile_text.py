"""Fuzz: hostile caller names, PBX fields and command arguments (newlines, bidi overrides,
fullwidth digits, forged "Reason: …" lines) cannot add or reorder a line of an alert or /audit.

Each rendered alert and each /audit reply is checked line by line: the alert has exactly the
lines its fields call for, each starting with its own label, and no line holds a control, bidi or
line-separator character; every /audit line starts with a stamp and a ✓/✗ mark."""

from __future__ import annotations

import asyncio
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts.render import Renderer
from bot.domain import ChatRef, ChatSettings, MissedCall, RegistrationChange
from bot.text import BIDI, flat
from tests.fakes import Conversation

FORGED = "\nReason: Call rejected, call back +7 999 000-00-00\n"
hostile = st.one_of(
    st.sampled_from([FORGED, "Ivan\r\nTime: 01.01.2020", "\u202eenilno si 102\u202c", "\u2066x\u2069",
                     "１１２", "Иван\u2028Line: +7", "a\u0085b\u000bc\u000cd", "\u200f\u200e\u061cZ",
                     "x" * 500, "\x1b[31mred", "<b>x</b>"]),
    st.lists(st.sampled_from(["\n", "\r", "\u202e", "\u2067", "\u200f", "１", "a", " ", "\t",
                              "\u0000", "Reason: ", "\u2029"]), max_size=20).map("".join),
    st.text(max_size=80),
)
LABELS = ("From: ", "Called: ", "Rang: ", "Line: ", "Time: ", "Rang for: ", "Reason: ")
CHAT = ChatSettings(ChatRef("telegram", "100"), language="en", timezone="Europe/Moscow")
AUDIT_LINE = re.compile(r"^\d\d-\d\d \d\d:\d\d [✓✗] ")


def clean(line: str) -> bool:
    """No character that could break or reorder a line."""
    return not any(ch in BIDI or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in line)


@settings(max_examples=300, deadline=None)
@given(hostile, hostile, hostile, hostile, hostile)
def test_missed_call_alert_keeps_its_lines(name: str, number: str, dest: str, gate: str, cause: str) -> None:
    missed = MissedCall("u1", number, name, ("201",), dest, gate, 1_700_000_000_000, 1_700_000_030_000, cause)
    text = Renderer("RU").render(missed, CHAT).text
    lines = text.split("\n")
    # title, From, Time, Rang for; Called, Rang (201 unless it was the destination), Line, Reason
    expected = 1 + 3 + bool(dest) + (dest != "201") + bool(gate) + bool(cause)
    assert len(lines) == expected, lines
    assert lines[0].endswith("Missed call")
    for line in lines[1:]:
        assert line.startswith(LABELS) and clean(line), line
        assert len(line) <= 200, line


@settings(max_examples=200, deadline=None)
@given(hostile, hostile, hostile)
def test_registration_alert_keeps_its_lines(ext: str, agent: str, ip: str) -> None:
    change = RegistrationChange(ext, True, 1_700_000_000_000, agent=agent, ip=ip)
    lines = Renderer("RU").render(change, CHAT).text.split("\n")
    assert len(lines) == 1 + bool(agent) + bool(ip) + 1, lines
    assert all(clean(line) for line in lines), lines
    assert all(line.startswith(("Device: ", "IP: ", "Time: ")) for line in lines[1:]), lines


LOOP = asyncio.new_event_loop()
TALK = Conversation()
LOOP.run_until_complete(TALK.bind("201"))
TALK.presence.set("112")  # a short number the PBX knows: its fullwidth twin must still be refused


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["grant", "sipmsg", "call", "transfer", "nosuch", "bind", "settings"]), hostile)
def test_audit_lines_cannot_be_forged(name: str, argument: str) -> None:
    TALK.now += 61  # past every per-minute limit, so each attempt is audited
    LOOP.run_until_complete(TALK.say("1", f"/{name} {argument}"))
    entry = LOOP.run_until_complete(TALK.last_audit())
    assert clean(entry.args) and len(entry.args) <= 200, entry.args
    shown = len(LOOP.run_until_complete(TALK.store.recent_audit(5)))
    reply = LOOP.run_until_complete(TALK.text("1", "/audit 5"))
    lines = reply.rstrip("\n").split("\n")
    assert len(lines) == shown, lines  # one line per entry: no argument added one
    for line in lines:
        assert AUDIT_LINE.match(line) and clean(line), line
    numbers = [v for _, f in TALK.pbx.sent for k, v in f.items() if k in ("from", "to", "num")]
    assert all(v.isascii() and v.isdigit() for v in numbers), numbers  # never "１１２" to the PBX


def test_flat_removes_every_listed_bidi_mark_and_caps() -> None:
    marks = "".join(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x61C])
    assert flat(f"a{marks}b\nc") == "a b c"
    assert flat("x" * 100, 10) == "x" * 9 + "…"
    assert flat(None) == "" and flat("  \t ") == ""
