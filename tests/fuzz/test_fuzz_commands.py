"""Fuzz: every chat command with arbitrary argument text (unicode, huge strings, control chars)
goes through the real CommandService; only the project's own errors may occur inside it (an
unexpected exception is logged at CRITICAL or as "failed before it ran"), and afterwards a normal
command still works."""

from __future__ import annotations

import asyncio
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.chat import COMMANDS
from bot.domain import Role
from tests.fakes import Conversation
from tests.fuzz.strategies import nasty_text

NAMES = (*COMMANDS, "press", "", "CALL", "call@other_bot", "нет", "/", "\x00")


class Unexpected(logging.Handler):
    """Records log records that mean an exception escaped a handler's own error types."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.CRITICAL or "failed before it ran" in record.msg:
            self.records.append(record)


LOOP = asyncio.new_event_loop()
TALK = Conversation()
LOOP.run_until_complete(TALK.bind("201"))
LOOP.run_until_complete(TALK.grant("2", Role.OPERATOR))
WATCH = Unexpected()
logging.getLogger("bot").addHandler(WATCH)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(NAMES), st.lists(nasty_text, max_size=4), st.sampled_from(["1", "2", "3"]),
       st.booleans())
def test_any_arguments_only_project_errors(name: str, words: list[str], user: str, private: bool) -> None:
    line = f"/{name} " + " ".join(words)
    WATCH.records.clear()  # the handler also hears other tests' loggers; judge only this example
    TALK.now += 3601  # past the strangers' and unknown-command limits, so every example is answered
    replies = LOOP.run_until_complete(TALK.say(user, line, private=private))
    assert replies, line
    assert all(isinstance(m.text, str) for m in replies)
    assert WATCH.records == [], [r.getMessage() for r in WATCH.records][:3]


def test_a_normal_command_still_works_after_the_fuzz() -> None:
    TALK.now += 3600  # past any dial rate limit the fuzz used up
    LOOP.run_until_complete(TALK.bind("201"))  # the admin may have unbound or revoked things
    LOOP.run_until_complete(TALK.grant("2", Role.OPERATOR))
    text = LOOP.run_until_complete(TALK.text("2", "/call 79161234567"))
    assert "79161234567" in text and TALK.pbx.names()[-1] == "make_call"
    assert "/settings" in LOOP.run_until_complete(TALK.text("3", "/help"))
