"""What to do next for one chat's outbox: a pure decision over its pending entries.

Strategy: the worker reads a chat's undelivered entries (oldest first) and asks ``plan_chat``; it
answers wait / hold (quiet hours) / send a card / send one alert / send a digest / drop a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import takewhile
from typing import Literal

from bot.delivery.quiet import in_quiet_hours, quiet_ends_at
from bot.domain import CallCard, ChatSettings, OutboxEntry

Action = Literal["idle", "wait", "hold", "card", "single", "digest", "drop"]


@dataclass(frozen=True, slots=True)
class Plan:
    """``entries`` are what to send, drop, or (for "hold") reschedule to ``until``; "wait" (pacing)
    keeps them due and only says when to look again."""

    action: Action
    entries: tuple[OutboxEntry, ...] = ()
    until: float = 0.0
    reason: str = ""


def is_card(entry: OutboxEntry) -> bool:
    """Entries sent alone, never folded into a digest: call cards, reports, and alerts already
    posted whose update (a missed call resolved, bot.alerts.resolve) edits their message."""
    return entry.alert.kind in ("card", "report") or entry.message_id is not None


def _stale_card(entry: OutboxEntry, settings: ChatSettings) -> bool:
    """A never-posted card of an answered call that ended during quiet hours (see bot.delivery.quiet)."""
    card = entry.alert
    if not isinstance(card, CallCard) or entry.message_id is not None:
        return False
    if card.phase != "ended" or card.missed or card.ended_ms is None:
        return False
    return in_quiet_hours(settings, card.ended_ms / 1000)


def plan_chat(
    pending: list[OutboxEntry],
    *,
    settings: ChatSettings,
    now: float,
    slot: float,
    remaining: int | None,
    threshold: int,
) -> Plan:
    """Decide the next message for a chat.

    ``pending``: its undelivered entries, oldest first; ``slot``: when pacing allows the next
    message; ``remaining``: messages left in the pacing window (None: uncapped). The head entry is
    always the one sent (alone, as a card, or as the first of a digest), so the order per chat
    holds: nothing newer goes out while an older entry waits for a retry.
    """
    if not pending:
        return Plan("idle")
    head = pending[0]
    if in_quiet_hours(settings, now):
        ends = quiet_ends_at(settings, now)
        held = tuple(e for e in pending if e.next_attempt_at < ends)
        return Plan("hold", held, until=ends, reason="quiet hours")
    if head.next_attempt_at > now:
        behind = tuple(e for e in pending if e.next_attempt_at <= now)
        return Plan("hold", behind, until=head.next_attempt_at, reason=f"waiting behind #{head.id}")
    if slot > now:
        return Plan("wait", until=slot, reason="paced")
    if is_card(head):
        if _stale_card(head, settings):
            return Plan("drop", (head,), reason="a card of a call that ended during quiet hours")
        return Plan("card", (head,))
    ready = takewhile(lambda e: e.next_attempt_at <= now, pending)
    alerts = tuple(e for e in ready if not is_card(e))
    if _fold(alerts, settings, remaining, threshold):
        return Plan("digest", alerts)
    return Plan("single", (head,))


def _fold(
    alerts: tuple[OutboxEntry, ...], settings: ChatSettings, remaining: int | None, threshold: int
) -> bool:
    """Digest when there are more than ``threshold`` alerts, or more than one and either they were
    held by quiet hours or sending them one by one would spend the rest of the minute's budget."""
    count = len(alerts)
    if count > threshold:
        return True
    if count <= 1:
        return False
    if remaining is not None and remaining <= count:
        return True
    return any(in_quiet_hours(settings, e.created_at) for e in alerts)
