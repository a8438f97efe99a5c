"""Fuzz (issue 19): the renderer shows whatever a parser lets through, and nothing escapes it:
missed calls made from any call-history record the HTTP parser accepts, and alerts of every kind
with the odd values the PBX parsers may produce (huge, negative or absurd stamps, hostile text),
in every language and time zone, alone and as digests. Its plain fallback must not be needed."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.pbx.http import wire
from bot import domain as d
from bot.alerts import Renderer
from bot.history import missed_from
from tests.fuzz.strategies import nasty_text, stamps
from tests.fuzz.test_fuzz_history import records

RENDERER = Renderer("RU")
chats = st.builds(d.ChatSettings, st.just(d.ChatRef("telegram", "-1")),
                  language=st.sampled_from(["en", "ru"]),
                  timezone=st.sampled_from(["UTC", "Europe/Moscow", "Pacific/Kiritimati", "America/Adak"]))
ms = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), stamps.filter(lambda s: s is not None))
small = st.integers(min_value=-(10**12), max_value=10**12)
texts = st.one_of(nasty_text, st.sampled_from(["201", "79161234567", "anonymous", ""]))
exts = st.lists(texts, max_size=4).map(tuple)
tries = st.lists(st.tuples(texts, ms), max_size=3).map(tuple)
missed = st.builds(
    d.MissedCall, texts, texts, texts, exts, texts, texts, ms, ms, texts, st.booleans(), st.booleans(),
    st.sampled_from(["", "offline", "link_down", "answered", "weird"]), texts,
    st.sampled_from(["", "callback", "again", "done", "weird"]), texts, texts, ms, small, tries,
)
alerts = st.one_of(
    missed,
    st.builds(d.RegistrationChange, texts, st.booleans(), ms, texts, texts, st.one_of(st.none(), small),
              small),
    st.builds(d.CallCard, texts, st.sampled_from(["ringing", "answered", "ended"]),
              st.sampled_from(["in", "out", "internal"]), texts, texts, texts, exts, texts, ms, texts,
              st.one_of(st.none(), ms), st.one_of(st.none(), ms), texts, st.booleans(), st.booleans()),
    st.builds(d.MissedDigest, st.lists(missed, max_size=3).map(tuple),
              st.sampled_from(["offline", "link_down", "x"])),
    st.builds(d.ReportAlert, nasty_text, st.sampled_from(["", "iVBORw0KGgo=", "not base64!", "===="]), texts),
)
_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _check(caplog: pytest.LogCaptureFixture) -> None:
    plain = [r for r in caplog.records if r.name == "bot.alerts.render" and r.levelno >= logging.ERROR]
    assert not plain, plain[0].getMessage()
    caplog.clear()


@pytest.fixture
def render_errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.ERROR, logger="bot.alerts.render")
    return caplog


@settings(max_examples=300, deadline=None, suppress_health_check=_OK)
@given(alerts, chats)
def test_any_alert_renders(render_errors: pytest.LogCaptureFixture, alert: Any, chat: d.ChatSettings) -> None:
    message = RENDERER.render(alert, chat)
    assert isinstance(message, d.OutMessage) and message.text
    RENDERER.render_digest([alert, alert], chat)
    _check(render_errors)


@settings(max_examples=200, deadline=None, suppress_health_check=_OK)
@given(st.lists(records, max_size=5), chats, st.sampled_from(["offline", "link_down"]))
def test_whatever_the_history_parser_lets_through_renders(
    render_errors: pytest.LogCaptureFixture, page: list[Any], chat: d.ChatSettings, backfill: str
) -> None:
    good, _ = wire.history_page(page)
    calls = [missed_from(r, backfill) for r in good]
    for call in calls:
        assert RENDERER.render(call, chat).text
    RENDERER.render(d.MissedDigest(tuple(calls), backfill), chat)
    _check(render_errors)
