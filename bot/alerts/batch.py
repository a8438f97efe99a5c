"""Group commit for the event path: the writes of many PBX events go to the store as ONE
transaction (``Store.apply``, ops in :mod:`bot.writes`).

Strategy: :class:`WriteBatch` looks like the store to the router and the pipeline (``.store``):
reads pass straight through (they see committed state only, never the batch's own pending
writes); the event-path writes (enqueue, upsert_card, save_call, delete_call, set_setting, record_call)
are recorded while a batch is open and applied by :meth:`WriteBatch.commit`. With no batch open
a write is applied at once, as a batch of one. Inside an open batch ``enqueue`` answers True
("recorded"): whether the key was really new is known after the commit (its result list).

How to write through it (e.g. after a merge): call the usual Store write method on the
pipeline's ``self._store`` (or the router's store) from code that runs inside
``EventPipeline.handle_many``/``tick``; nothing else is needed. A write the batch does not know
yet: add an op to :mod:`bot.writes` and a method here that records it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from bot.domain import Alert, CallRecord, ChatRef, OutboxEntry
from bot.fastdata import fast_frozen
from bot.ports import Store
from bot.writes import DeleteCall, Enqueue, RecordCall, SaveCall, SetSetting, UpsertCard, Write


@fast_frozen  # one per changed call and event (bot.fastdata)
class _SaveAtCommit:
    """A snapshot taken when the batch commits (the call's state after the whole batch)."""

    call_id: str
    take: Callable[[str], dict[str, Any] | None]
    updated_at: float


class WriteBatch:
    """Records the event path's writes between :meth:`open` and :meth:`commit` (one owner at a
    time: the pipeline serialises batches with its lock)."""

    def __init__(self, store: Store) -> None:
        self._inner = store
        self._writes: list[Write] | None = None  # outbox, settings and call records, in order
        self._calls: dict[str, Write | _SaveAtCommit] = {}  # the last snapshot op of each call

    @property
    def store(self) -> Store:
        """This batch seen as a :class:`bot.ports.Store` (reads delegate, writes record)."""
        return cast(Store, self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)  # every read (and rare write) the batch does not record

    def store_direct(self) -> Store:
        """The store itself, for a write that must not wait for (or fail with) the batch."""
        return self._inner

    @property
    def is_open(self) -> bool:
        return self._writes is not None

    def open(self) -> None:
        """Start recording (a batch left open by a failure is discarded)."""
        self._writes = []
        self._calls = {}

    def discard(self) -> None:
        self._writes = None
        self._calls = {}

    def pending(self) -> list[Write]:
        """The recorded writes, coalesced: only the last snapshot op of each call is kept (a call
        saved three times and deleted in one batch costs one DELETE); snapshots recorded with
        :meth:`save_call_at_commit` are taken now, and skipped when there is none. Snapshot ops
        come after the others (they touch only the calls' own table)."""
        out: list[Write] = list(self._writes or [])
        for op in self._calls.values():
            if isinstance(op, _SaveAtCommit):
                snapshot = op.take(op.call_id)
                if snapshot:
                    out.append(SaveCall(op.call_id, snapshot, op.updated_at))
            else:
                out.append(op)
        return out

    async def commit(self) -> tuple[list[Write], list[OutboxEntry | None]]:
        """Apply the pending writes in one transaction and close the batch; raises StorageError
        (the batch stays open, so the caller may retry the very same writes)."""
        writes = self.pending()
        results = await self._inner.apply(writes)
        self.discard()
        return writes, results

    async def commit_each(self) -> tuple[list[Write], list[OutboxEntry | None], list[Write]]:
        """The last resort when :meth:`commit` failed with something other than a busy store (a
        write the store cannot take at all): apply each pending write on its own, so a bad one
        costs only itself. Returns (stored writes, their results, refused writes); closes the batch."""
        stored: list[Write] = []
        results: list[OutboxEntry | None] = []
        refused: list[Write] = []
        for op in self.pending():
            try:
                results += await self._inner.apply([op])
                stored.append(op)
            except Exception:  # the caller logs what was refused
                refused.append(op)
        self.discard()
        return stored, results, refused

    async def _add(self, op: Write) -> bool:
        """Record ``op`` (True); with no batch open, apply it now (True: an enqueue was new)."""
        if self._writes is None:
            return (await self._inner.apply([op]))[0] is not None
        if isinstance(op, SaveCall | DeleteCall):
            self._calls[op.call_id] = op
        else:
            self._writes.append(op)
        return True

    # the recorded writes (same signatures as bot.ports.Store) --------------------------------
    async def enqueue(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> bool:
        return await self._add(Enqueue(dedup_key, chat, alert, now))

    async def upsert_card(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> None:
        await self._add(UpsertCard(dedup_key, chat, alert, now))

    async def save_call(self, call_id: str, snapshot: dict[str, Any], updated_at: float) -> None:
        await self._add(SaveCall(call_id, snapshot, updated_at))

    def save_call_at_commit(
        self, call_id: str, take: Callable[[str], dict[str, Any] | None], updated_at: float
    ) -> None:
        """Inside an open batch: store ``take(call_id)`` as the call's snapshot when the batch
        commits, once, however many events of the batch changed the call (``take`` returning
        None or {} stores nothing). Only valid while the batch is open."""
        assert self._writes is not None, "save_call_at_commit needs an open batch"
        self._calls[call_id] = _SaveAtCommit(call_id, take, updated_at)

    async def delete_call(self, call_id: str) -> None:
        await self._add(DeleteCall(call_id))

    async def set_setting(self, key: str, value: str | None) -> None:
        await self._add(SetSetting(key, value))

    async def record_call(self, record: CallRecord) -> None:
        await self._add(RecordCall(record))
