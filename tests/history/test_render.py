"""Backfilled alerts in both languages: the gap's reason, the "answered after all" update, the
digest, and the digest's trip through the outbox's JSON."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.alerts import Renderer
from bot.domain import ChatRef, ChatSettings, MissedCall, MissedDigest, alert_from_dict, alert_to_dict

M = MissedCall("u1", "79161234567", "Иван", ("201",), "500", "74951112233", 1_780_000_000_000,
               1_780_000_006_000, "")


def chat(lang: str) -> ChatSettings:
    return ChatSettings(ChatRef("console", "x"), language=lang, timezone="UTC")


@pytest.mark.parametrize(("backfill", "lang", "words"), [
    ("offline", "en", "while the bot was offline"),
    ("offline", "ru", "пока бот был выключен"),
    ("link_down", "en", "while the PBX link was down"),
    ("link_down", "ru", "пока не было связи с АТС"),
    ("answered", "en", "answered after all"),
    ("answered", "ru", "всё-таки ответили"),
])
def test_backfilled_alerts_say_why(backfill: str, lang: str, words: str) -> None:
    text = Renderer().render(replace(M, backfill=backfill), chat(lang)).text
    assert words in text
    assert ("Answered call" in text or "Отвеченный звонок" in text) == (backfill == "answered")


def test_a_live_alert_says_nothing_about_the_history() -> None:
    assert "call history" not in Renderer().render(M, chat("en")).text


@pytest.mark.parametrize(("lang", "n", "heading"), [
    ("en", 1, "1 missed call while the bot was offline"),
    ("en", 3, "3 missed calls while the bot was offline"),
    ("ru", 2, "2 пропущенных звонка, пока бот был выключен"),
    ("ru", 5, "5 пропущенных звонков, пока бот был выключен"),
])
def test_the_digest_is_one_message_with_the_list(lang: str, n: int, heading: str) -> None:
    calls = tuple(replace(M, call_id=f"u{i}", caller_number=f"7916123456{i}") for i in range(n))
    text = Renderer().render(MissedDigest(calls), chat(lang)).text
    assert text.splitlines()[0] == f"📵 {heading}"
    assert len(text.splitlines()) == n + 1 and "+7 916 123-45-60" in text


def test_a_digest_survives_the_outbox_json() -> None:
    digest = MissedDigest((M, replace(M, call_id="u2")), "link_down")
    assert alert_from_dict(alert_to_dict(digest)) == digest
