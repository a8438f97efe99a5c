"""Queueing what the history settled: alerts under the live dedup keys, in-place updates of
uncertain alerts, and one digest per chat for the old ones."""

from __future__ import annotations

from collections import defaultdict

from bot.alerts import AlertRouter, missed_key
from bot.domain import ChatRef, MissedCall, MissedDigest
from bot.history.reconcile import Settlement
from bot.ports import Store


async def queue_settlement(
    store: Store, router: AlertRouter, result: Settlement, reason: str, now: float
) -> tuple[int, int]:
    """Queue ``result`` for the chats that want each call; returns (alerts, digests) queued.

    Alerts use the same dedup key as a live alert (``missed:{call_id}:{chat}``), so a call is
    alerted once whichever side saw it first; an "answered" update replaces the uncertain
    alert's outbox row (its version grows, so it goes out again, saying "answered")."""
    alerts = 0
    for missed in result.alerts:
        for chat in await router.missed_targets(missed, now):
            alerts += await store.enqueue(missed_key(missed.call_id, chat), chat, missed, now)
    for missed in (*result.answered, *result.confirmed):
        for chat in await router.missed_targets(missed, now):
            await store.upsert_card(missed_key(missed.call_id, chat), chat, missed, now)
            alerts += 1
    return alerts, await _digests(store, router, result.digest, reason, now)


async def _digests(
    store: Store, router: AlertRouter, calls: tuple[MissedCall, ...], reason: str, now: float
) -> int:
    per_chat: dict[ChatRef, list[MissedCall]] = defaultdict(list)
    for missed in calls:
        for chat in await router.missed_targets(missed, now):
            per_chat[chat].append(missed)
    queued = 0
    for chat, items in per_chat.items():
        key = f"missed-digest:{items[0].call_id}:{items[-1].call_id}:{len(items)}:{chat}"
        queued += await store.enqueue(key, chat, MissedDigest(tuple(items), reason), now)
    return queued
