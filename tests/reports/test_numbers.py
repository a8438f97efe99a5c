"""Report numbers against the hand-computed fixture; the caption; the history as authority."""

from __future__ import annotations

from bot.domain import HistoryRecord
from bot.errors import PbxUnavailable
from bot.reports import ExtensionRow, Reporter, compute, period
from bot.reports.text import caption
from storage.memory import MemoryStore
from tests.reports.fixture import DAY_END, RECORDS, at


def test_numbers_match_the_hand_computed_day() -> None:
    n = compute(RECORDS, period("today", "Europe/Moscow", DAY_END))
    assert (n.inbound, n.answered, n.missed, n.resolved, n.unresolved) == (7, 4, 3, 2, 1)
    assert round(n.answer_rate, 4) == round(4 / 7, 4)
    assert (n.median_wait_s, n.longest_wait_s, n.busiest_hour) == (20, 50, 9)
    assert n.extensions == (ExtensionRow("201", 4, 2, 2), ExtensionRow("202", 4, 2, 2))
    assert n.answered_by_hour[9] == 2 and n.missed_by_hour[9] == 1
    assert n.answered_by_hour[10] == 2 and n.missed_by_hour[10] == 1 and n.missed_by_hour[13] == 1
    assert sum(n.answered_by_hour) == 4 and sum(n.missed_by_hour) == 3


def test_empty_period_has_no_rates_or_hour() -> None:
    n = compute([], period("yesterday", "UTC", DAY_END))
    got = (n.inbound, n.answer_rate, n.median_wait_s, n.busiest_hour, n.extensions)
    assert got == (0, 0.0, None, None, ())


def test_caption_in_both_languages() -> None:
    n = compute(RECORDS, period("today", "Europe/Moscow", DAY_END))
    assert caption(n, "en").splitlines() == [
        "Calls report: 15.11.2023", "Inbound: 7", "Answered: 4 (57%)",
        "Missed: 3 (resolved 2, unresolved 1)", "Wait before answer: median 0:20, longest 0:50",
        "Busiest hour: 09:00–10:00", "Ext: rang / answered / missed", "201: 4 / 2 / 2", "202: 4 / 2 / 2",
    ]  # fmt: skip
    assert caption(n, "ru").splitlines()[1] == "Входящих: 7"


class FakeHistory:
    """A :class:`bot.ports.CallHistory` answering from a list (or failing)."""

    def __init__(self, records: list[HistoryRecord], fail: bool = False) -> None:
        self.records, self.fail, self.asked = records, fail, []  # type: ignore[var-annotated]

    async def search(self, start_s: int, end_s: int) -> list[HistoryRecord]:
        self.asked.append((start_s, end_s))
        if self.fail:
            raise PbxUnavailable("history down")
        return [r for r in self.records if start_s <= r.start_s < end_s]


async def test_history_is_the_authority_and_own_rows_fill_what_it_lacks() -> None:
    store = MemoryStore()
    for rec in RECORDS:
        await store.record_call(rec)
    s = lambda ms: ms // 1000  # noqa: E731
    history = [
        # A: the PBX says nobody talked (the bot thought 201 answered): the history wins
        HistoryRecord("A", "79160000065", "inbound", s(at(9, 5)), talk_s=0, duration_s=15,
                      extensions=("201",)),
        # B: the same call under the PBX's uuid, 2 s off; the bot's resolution is kept
        HistoryRecord("pbx-B", "+79160000066", "inbound", s(at(9, 20)) + 2, talk_s=0, duration_s=20),
        # a call the bot never saw (link down): answered by 203 after 12 s
        HistoryRecord("H1", "79160000007", "inbound", s(at(14, 0)), talk_s=90, duration_s=102,
                      extensions=("203",), answered_by="203"),
    ]  # fmt: skip
    fake = FakeHistory(history)
    n = await Reporter(store, history=fake).numbers(period("today", "Europe/Moscow", DAY_END))
    assert (n.inbound, n.answered, n.missed, n.resolved, n.unresolved) == (8, 4, 4, 2, 2)
    rows = {r.ext: r for r in n.extensions}
    assert rows["201"] == ExtensionRow("201", 4, 1, 3) and rows["203"] == ExtensionRow("203", 1, 1, 0)
    assert n.longest_wait_s == 50 and fake.asked  # own row F kept; the history was asked

    down = await Reporter(store, history=FakeHistory([], fail=True)).numbers(
        period("today", "Europe/Moscow", DAY_END))
    assert (down.inbound, down.answered, down.missed) == (7, 4, 3)  # own records alone
