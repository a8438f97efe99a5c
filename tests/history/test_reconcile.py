"""The pure decision: every history record against what the bot saw live (a table of cases)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain import HistoryRecord, MissedCall
from bot.history import LiveCall, Settlement, missed_from, settle

NOW = 1_780_000_000.0
T = int(NOW - 600)


def rec(
    uuid: str = "u1",
    *,
    talk: int = 0,
    caller: str = "79161234567",
    start: int = T,
    dest: str = "500",
    direction: str = "inbound",
) -> HistoryRecord:
    return HistoryRecord(
        uuid,
        caller,
        direction,
        start,
        start + 8,
        "Иван",
        dest,
        talk,
        8,
        "NORMAL_CLEARING",
        "74951112233",
        ("201", "202"),
        "201" if talk else "",
    )


def live(
    call_id: str = "u1",
    verdict: str = "missed",
    *,
    caller: str = "+79161234567",
    start: float = T,
    dest: str = "500",
    alerted: bool = True,
) -> LiveCall:
    m = MissedCall(
        call_id,
        caller,
        "",
        ("201",),
        dest,
        "",
        int(start * 1000),
        int(start * 1000) + 5000,
        "",
        uncertain=verdict == "uncertain",
    )
    return LiveCall(
        call_id,
        "+79161234567" if caller else "",
        dest,
        start,
        verdict,  # type: ignore[arg-type]
        alerted,
        missed=m if verdict != "answered" else None,
    )


def decide(records: list[HistoryRecord], calls: list[LiveCall], reason: str = "link_down") -> Settlement:
    return settle(records, calls, backfill=reason, now_s=NOW, max_age_s=3600)


# (case, records, live calls, expected (alert ids, answered ids, digest ids))
CASES = [
    ("missed inside the gap, never seen", [rec()], [], (["u1"], [], [])),
    ("answered inside the gap", [rec(talk=30)], [], ([], [], [])),
    ("outbound with no talk is not missed", [rec(direction="outbound")], [], ([], [], [])),
    ("missed seen live: nothing more", [rec()], [live()], ([], [], [])),
    (
        "answered seen live, history says no talk: live verdict stands",
        [rec()],
        [live(verdict="answered")],
        ([], [], []),
    ),
    (
        "uncertain never alerted, history missed: its alert under the live id",
        [rec("h9")],
        [live("leg-a", "uncertain", start=T + 2, alerted=False)],
        (["leg-a"], [], []),
    ),
    (
        "uncertain and alerted, history missed: no new alert (the posted one loses its doubt)",
        [rec("h9")],
        [live("leg-a", "uncertain", start=T + 2)],
        ([], [], []),
    ),
    (
        "uncertain and alerted, history answered: updated",
        [rec(talk=12)],
        [live(verdict="uncertain")],
        ([], ["u1"], []),
    ),
    (
        "uncertain never alerted, history answered: nothing",
        [rec(talk=12)],
        [live(verdict="uncertain", alerted=False)],
        ([], [], []),
    ),
    (
        "other uuid, same caller in another form, start 4 s apart, same destination: matched",
        [rec("h1", caller="89161234567")],
        [live("leg-x", start=T + 4)],
        ([], [], []),
    ),
    (
        "same caller but 9 s apart: a different call",
        [rec("h1")],
        [live("leg-x", start=T + 9)],
        (["h1"], [], []),
    ),
    (
        "same caller, other destination: a different call",
        [rec("h1")],
        [live("leg-x", dest="600")],
        (["h1"], [], []),
    ),
    (
        "hidden callers never match by number",
        [rec("h1", caller="anonymous")],
        [live("leg-x", caller="")],
        (["h1"], [], []),
    ),
    ("older than the cut-off: digest", [rec("old", start=int(NOW - 7200))], [], ([], [], ["old"])),
]


@pytest.mark.parametrize(("case", "records", "calls", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_record_is_decided_by_the_rule(
    case: str,
    records: list[HistoryRecord],
    calls: list[LiveCall],
    expected: tuple[list[str], list[str], list[str]],
) -> None:
    got = decide(records, calls)
    ids = (
        [m.call_id for m in got.alerts],
        [m.call_id for m in got.answered],
        [m.call_id for m in got.digest],
    )
    assert ids == expected, case


def test_backfilled_alerts_carry_the_reason_and_the_record() -> None:
    got = decide([rec()], [], "offline")
    assert got.alerts == (missed_from(rec(), "offline"),)
    m = got.alerts[0]
    assert (m.backfill, m.pbx_id, m.extensions, m.gate, m.started_ms) == (
        "offline",
        "u1",
        ("201", "202"),
        "74951112233",
        T * 1000,
    )
    assert not m.uncertain


def test_a_confirmed_uncertain_alert_is_rewritten_without_doubt() -> None:
    got = decide([rec("h9")], [live("leg-a", "uncertain", start=T + 2)])
    assert [(m.call_id, m.uncertain, m.pbx_id) for m in got.confirmed] == [("leg-a", False, "h9")]
    assert got.settled == (("leg-a", "missed"),)


def test_an_answered_settlement_clears_uncertainty_and_says_answered() -> None:
    got = decide([rec(talk=5)], [live(verdict="uncertain")])
    assert next(replace(m, pbx_id="") for m in got.answered).backfill == "answered"
    assert not got.answered[0].uncertain and got.matched == 1
