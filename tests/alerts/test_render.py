"""Renderer: ru/en contents of missed calls, registration changes, cards and digests."""

from __future__ import annotations

import dataclasses

from bot.alerts.render import Renderer, plural
from bot.domain import Button, CallCard, ChatRef, ChatSettings, MissedCall, RegistrationChange, Span
from bot.phone import format_number
from tests.tracking.test_calls import CALLER, T0, TRUNK

MS = int(T0 * 1000)  # 2023-11-14 22:13:20 UTC
RU = ChatSettings(ChatRef("telegram", "-1"), language="ru", timezone="Europe/Moscow")
EN = ChatSettings(ChatRef("slack", "C1"), language="en", timezone="America/New_York")


def missed(**kw: object) -> MissedCall:
    base = MissedCall(
        "A1", CALLER, "Ivan Petrov", ("500", "201", "202"), "500", TRUNK, MS, MS + 35_000, "NO_ANSWER"
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_phone_formatting() -> None:
    assert format_number("79161234567", "RU") == "+7 916 123-45-67"
    assert format_number("88001006729", "RU") == "8 (800) 100-67-29"
    assert format_number("201", "RU") == "201" and format_number("anonymous", "RU") == "anonymous"
    assert format_number("12", "RU") == "12" and format_number("", "RU") == ""


def test_missed_call_in_russian() -> None:
    msg = Renderer("RU").render(missed(), RU)
    text = msg.text
    assert Span("Пропущенный звонок", "bold") in msg.spans
    assert "+7 916 123-45-67 (Ivan Petrov)" in text
    assert "Куда звонили: 500" in text and "Звонило у: 201, 202" in text
    assert "Линия: +7 495 111-22-33" in text
    assert "15.11.2023 01:13" in text  # Moscow is UTC+3
    assert "Ожидание: 35 с" in text and "Причина: нет ответа" in text
    assert msg.buttons == ((Button("Перезвонить", "call", CALLER), Button("Готово", "done", "A1")),)


def test_missed_call_in_english_with_time_zone_and_unknown_cause() -> None:
    msg = Renderer().render(
        missed(hangup_cause="SRTP_READ_ERROR", ended_ms=MS + 95_000, caller_name=CALLER), EN
    )
    text = msg.text
    assert Span("Missed call", "bold") in msg.spans
    assert "From: +7 916 123-45-67\n" in text  # the name equals the number: not repeated
    assert "14.11.2023 17:13" in text  # New York is UTC-5 in November
    assert "Rang for: 1 min 35 s" in text and "Reason: SRTP_READ_ERROR" in text
    assert msg.buttons[0][0].label == "Call back"


def test_hidden_caller_has_no_call_back_button_and_internal_title() -> None:
    msg = Renderer().render(missed(caller_number="anonymous", caller_name="", internal=True), EN)
    assert "hidden number" in msg.text and msg.buttons == ((Button("Done", "done", "A1"),),)
    assert Span("Missed internal call", "bold") in msg.spans
    national = Renderer().render(missed(caller_number="88001006729", caller_name="", gate=""), RU)
    assert "8 (800) 100-67-29" in national.text and "Линия" not in national.text
    assert national.buttons[0][0].arg == "88001006729"


def test_registration_changes() -> None:
    change = RegistrationChange("201", True, MS, "Yealink SIP-T46S", "10.0.0.5", 5060)
    online = Renderer().render(change, EN)
    assert Span("Phone 201 is online", "bold") in online.spans
    assert "Device: Yealink SIP-T46S" in online.text and "10.0.0.5:5060" in online.text
    assert "times" not in online.text
    offline = Renderer().render(dataclasses.replace(change, online=False, flaps=4), RU)
    assert Span("Телефон 201 не в сети", "bold") in offline.spans
    assert "Менялся 4 раз" in offline.text and "10.0.0.5" not in offline.text


def test_call_card_phases() -> None:
    card = CallCard("A1", "ringing", "in", CALLER, "Ivan", "500", ("201", "202"), TRUNK, MS)
    ringing = Renderer().render(card, EN)
    assert Span("Incoming call", "bold") in ringing.spans and "Ringing" in ringing.text
    assert "+7 916 123-45-67 (Ivan) → 500" in ringing.text and "Rang: 201, 202" in ringing.text
    assert ringing.buttons == ((Button("Hang up", "hangup", "A1"),),)
    answered = Renderer().render(dataclasses.replace(card, phase="answered", answered_by="202"), RU)
    assert "Ответил 202" in answered.text and answered.buttons[0][0].label == "Завершить"
    ended = dataclasses.replace(
        card, phase="ended", answered_by="202", answered_ms=MS + 5000, ended_ms=MS + 70_000
    )
    text = Renderer().render(ended, EN)
    assert "Ended, talk time 1 min 05 s" in text.text and text.buttons == ()
    lost = Renderer().render(dataclasses.replace(card, phase="ended", ended_ms=MS + 9000, missed=True), RU)
    assert "Пропущен" in lost.text and lost.buttons == ()


def test_digest_covers_every_alert_with_capped_lines() -> None:
    alerts: list[object] = [missed(call_id=f"A{i}", started_ms=MS + i * 60_000) for i in range(40)]
    alerts += [RegistrationChange("201", False, MS), RegistrationChange("202", True, MS)]
    msg = Renderer().render_digest(alerts, RU)  # type: ignore[arg-type]
    assert msg.spans[0] == Span("40 пропущенных звонков, 2 изменения статуса", "bold")
    lines = msg.text.split("\n")[1:]
    assert len(lines) == 31 and lines[-1] == "… и ещё 12"
    assert lines[0].startswith("01:13 +7 916 123-45-67 (Ivan Petrov) → 500, 201, 202 · 35 с")
    one = Renderer().render_digest([missed()], EN)
    assert one.spans[0] == Span("1 missed call", "bold") and len(one.text.split("\n")) == 2
    reg = Renderer().render_digest([RegistrationChange("201", False, MS)], EN)
    assert "201 offline" in reg.text and reg.spans[0].text == "1 phone status change"


def test_russian_plurals() -> None:
    forms = [plural("ru", "render.n_card", n) for n in (1, 2, 5, 11, 21, 22, 112)]
    assert forms == [
        "1 звонок",
        "2 звонка",
        "5 звонков",
        "11 звонков",
        "21 звонок",
        "22 звонка",
        "112 звонков",
    ]


def test_an_uncertain_call_says_plainly_that_the_link_was_down_in_both_languages() -> None:
    ru = Renderer("RU").render(missed(uncertain=True), RU)
    assert Span("Звонок с неизвестным исходом", "bold") in ru.spans
    assert "связь с АТС прерывалась: ответили ли на него, неизвестно" in ru.text
    assert "Пропущенный" not in ru.text and "Ожидание" not in ru.text and "Причина" not in ru.text
    en = Renderer("RU").render(missed(uncertain=True), EN)
    assert Span("Call with unknown outcome", "bold") in en.spans
    assert "The PBX link was down during this call: whether it was answered is not known." in en.text
    assert "Missed" not in en.text and "Rang for" not in en.text
    # calling back is still useful, and so is marking it handled (issue 13's Done)
    assert en.buttons == ((Button("Call back", "call", CALLER), Button("Done", "done", "A1")),)
    line = Renderer("RU").render_digest([missed(uncertain=True)], EN).text
    assert "outcome unknown" in line
