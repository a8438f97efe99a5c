"""Write operations that a :class:`bot.ports.Store` applies together in ONE transaction.

This is the group-commit API (issue #14). The event path does not write row by row: it collects
its writes in a :class:`bot.alerts.WriteBatch` while it applies a batch of PBX events to the
trackers, then hands the list to ``Store.apply(writes)``, which commits them all at once (the
SQLite store on its owner thread, as before the only writer). Either every write of a batch is
stored or none is, so a crash mid-batch leaves the state of the previous batch, and the
replayed or re-derived events are deduplicated by the outbox keys.

Each op mirrors one Store write method with the same meaning; ``Store.apply`` returns one result
per op, in order: :class:`Enqueue` -> the new ``OutboxEntry`` (None when the key was not new),
every other op -> ``None``; the delivery worker is handed those entries instead of reading them
back (the short path). To add a write to the event path: add a frozen dataclass here, add it to :data:`Write`,
and handle it in ``storage/memory.py`` ``MemoryStore.apply`` and ``storage/sqlite.py``
``_apply_one`` (plus a contract test in ``tests/storage/test_contract_batch.py``).
"""

from __future__ import annotations

from typing import Any

from bot.domain import Alert, CallRecord, ChatRef
from bot.fastdata import fast_frozen


@fast_frozen  # the event path makes one or more per event (bot.fastdata)
class Enqueue:
    """``Store.enqueue``: add an alert unless ``dedup_key`` was ever enqueued."""

    dedup_key: str
    chat: ChatRef
    alert: Alert
    now: float


@fast_frozen  # the event path makes one or more per event (bot.fastdata)
class UpsertCard:
    """``Store.upsert_card``: insert a card or replace its alert and bump its version."""

    dedup_key: str
    chat: ChatRef
    alert: Alert
    now: float


@fast_frozen  # the event path makes one or more per event (bot.fastdata)
class SaveCall:
    """``Store.save_call``: the tracker snapshot of a live call (replaces an older one)."""

    call_id: str
    snapshot: dict[str, Any]
    updated_at: float


@fast_frozen  # the event path makes one or more per event (bot.fastdata)
class DeleteCall:
    """``Store.delete_call``: the call ended; forget its snapshot."""

    call_id: str


@fast_frozen  # the event path makes one or more per event (bot.fastdata)
class SetSetting:
    """``Store.set_setting``: a small durable value (None deletes it)."""

    key: str
    value: str | None


@fast_frozen  # the event path makes one or more per event (bot.fastdata)
class RecordCall:
    """``Store.record_call``: a finished call's row (replaces the row of the same call id)."""

    record: CallRecord


Write = Enqueue | UpsertCard | SaveCall | DeleteCall | SetSetting | RecordCall
