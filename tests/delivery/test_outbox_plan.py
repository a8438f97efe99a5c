"""plan_chat: the pure per-chat decision (wait, hold, card, single alert, digest, drop)."""

from __future__ import annotations

from bot.delivery.plan import plan_chat
from bot.domain import ChatRef, ChatSettings, OutboxEntry
from tests.delivery.fakes import card, missed

CHAT = ChatRef("telegram", "-1")
PLAIN = ChatSettings(CHAT, timezone="UTC")
NOW = 1000.0


def entries(count: int, *, at: float = NOW, first: int = 1) -> list[OutboxEntry]:
    return [OutboxEntry(first + n, f"k{n}", CHAT, missed(n), at, next_attempt_at=at) for n in range(count)]


def plan(pending: list[OutboxEntry], *, slot: float = NOW, remaining: int | None = 20,
         settings: ChatSettings = PLAIN) -> tuple[str, list[int], float]:
    p = plan_chat(pending, settings=settings, now=NOW, slot=slot, remaining=remaining, threshold=3)
    return p.action, [e.id for e in p.entries], p.until


def test_nothing_pending_is_idle() -> None:
    assert plan([])[0] == "idle"


def test_few_alerts_go_one_by_one_many_fold() -> None:
    assert plan(entries(3)) == ("single", [1], 0.0)
    assert plan(entries(4)) == ("digest", [1, 2, 3, 4], 0.0)


def test_low_budget_folds_even_two() -> None:
    assert plan(entries(2), remaining=3)[0] == "single"
    assert plan(entries(2), remaining=2)[0] == "digest"
    assert plan(entries(2), remaining=None)[0] == "single"


def test_paced_chat_waits_without_touching_entries() -> None:
    assert plan(entries(5), slot=NOW + 2) == ("wait", [], NOW + 2)


def test_newer_entries_wait_behind_a_head_in_backoff() -> None:
    head = entries(1, at=NOW + 30)
    assert plan(head + entries(2, first=5)) == ("hold", [5, 6], NOW + 30)


def test_card_head_is_sent_alone_and_cards_never_fold() -> None:
    c = OutboxEntry(9, "card:x", CHAT, card("x"), NOW, next_attempt_at=NOW)
    assert plan([c, *entries(5)]) == ("card", [9], 0.0)
    assert plan([*entries(4), c])[1] == [1, 2, 3, 4]
