"""In-memory ``Store``: plain dicts, same semantics as the SQLite store, no durability.

Strategy: one dict per table keyed like the SQLite primary keys; every method is synchronous
inside (so each is trivially one transaction) and only ``async`` to match the port.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from bot.domain import Alert, AuditEntry, CallRecord, ChatRef, ChatSettings, Grant, OutboxEntry, Role, UserRef
from bot.errors import StorageError
from bot.writes import DeleteCall, Enqueue, RecordCall, SaveCall, SetSetting, UpsertCard, Write
from storage.files import keyed_hash

logger = logging.getLogger(__name__)


def ext_order(ext: str) -> tuple[int, str]:
    """Extensions sort numerically when they are digits ("20" before "100")."""
    return (len(ext), ext)


def chat_order(chat: ChatRef) -> tuple[str, str]:
    return (chat.platform, chat.chat_id)


class MemoryStore:
    """A :class:`bot.ports.Store` in dicts. ``bind`` needs the chat to exist (``ensure_chat``)."""

    def __init__(self) -> None:
        self._chats: dict[ChatRef, ChatSettings] = {}
        self._bindings: set[tuple[ChatRef, str]] = set()
        self._people: dict[tuple[str, str], UserRef] = {}
        self._grants: dict[tuple[str, str, str], Role] = {}
        self._codes: dict[str, tuple[float, float | None]] = {}  # keyed hash -> (expires_at, used_at)
        self._secret = secrets.token_bytes(32)
        self._outbox: dict[int, OutboxEntry] = {}
        self._done: set[int] = set()
        self._keys: dict[str, int] = {}
        self._calls: dict[str, tuple[float, dict[str, Any]]] = {}
        self._audit: list[AuditEntry] = []
        self._settings: dict[str, str] = {}
        self._records: dict[str, CallRecord] = {}
        self._next_id = 1

    # chats ------------------------------------------------------------------------------
    async def ensure_chat(
        self, chat: ChatRef, *, title: str, language: str, timezone: str
    ) -> ChatSettings:
        old = self._chats.get(chat)
        if old is None:
            new = ChatSettings(chat, title=title, language=language, timezone=timezone)
        else:
            new = dataclasses.replace(old, title=title or old.title, active=True)
        self._chats[chat] = new
        return new

    async def get_chat(self, chat: ChatRef) -> ChatSettings | None:
        return self._chats.get(chat)

    async def update_chat(self, settings: ChatSettings) -> None:
        if settings.chat not in self._chats:
            raise StorageError(f"cannot update unknown chat {settings.chat}")
        self._chats[settings.chat] = settings

    async def list_chats(self) -> list[ChatSettings]:
        return sorted(self._chats.values(), key=lambda s: chat_order(s.chat))

    async def migrate_chat(self, old: ChatRef, new: ChatRef) -> None:
        settings = self._chats.pop(old, None)
        if settings is not None:
            self._chats[new] = dataclasses.replace(settings, chat=new)
        for chat, ext in list(self._bindings):
            if chat == old:
                self._bindings.discard((chat, ext))
                self._bindings.add((new, ext))
        for (platform, user_id, scope), role in list(self._grants.items()):
            if platform == old.platform and scope == old.chat_id:
                del self._grants[(platform, user_id, scope)]
                self._grants[(new.platform, user_id, new.chat_id)] = role
        for entry_id, entry in self._outbox.items():
            if entry.chat == old and entry_id not in self._done:
                # message ids of the old chat mean nothing in the new one: post cards afresh
                self._outbox[entry_id] = dataclasses.replace(
                    entry, chat=new, message_id=None, delivered_version=0
                )

    # bindings ----------------------------------------------------------------------------
    async def bind(self, chat: ChatRef, ext: str) -> bool:
        if chat not in self._chats:
            raise StorageError(f"cannot bind unknown chat {chat}")
        if (chat, ext) in self._bindings:
            return False
        self._bindings.add((chat, ext))
        return True

    async def unbind(self, chat: ChatRef, ext: str | None) -> list[str]:
        gone = [e for c, e in self._bindings if c == chat and (ext is None or e == ext)]
        for e in gone:
            self._bindings.discard((chat, e))
        return sorted(gone, key=ext_order)

    async def extensions_of(self, chat: ChatRef) -> list[str]:
        return sorted((e for c, e in self._bindings if c == chat), key=ext_order)

    async def chats_of(self, ext: str) -> list[ChatRef]:
        return sorted((c for c, e in self._bindings if e == ext), key=chat_order)

    async def bindings(self) -> dict[str, list[ChatRef]]:
        out: dict[str, list[ChatRef]] = {}
        for chat, ext in self._bindings:
            out.setdefault(ext, []).append(chat)
        return {ext: sorted(chats, key=chat_order) for ext, chats in out.items()}

    # people and roles ----------------------------------------------------------------------
    async def remember_person(self, user: UserRef) -> None:
        key = (user.platform, user.user_id)
        known = self._people.pop(key, None)  # re-insert last: the newest owner of a username wins
        org = user.org or (known.org if known is not None else "")
        self._people[key] = UserRef(user.platform, user.user_id, user.display, user.username.lstrip("@"), org)

    async def find_person(self, platform: str, handle: str) -> UserRef | None:
        wanted = handle.strip().lstrip("@").casefold()
        if not wanted:
            return None
        people = [p for p in reversed(self._people.values()) if p.platform == platform]
        for person in people:
            if person.user_id.casefold() == wanted:
                return person
        for person in people:
            if person.username and person.username.casefold() == wanted:
                return person
        return None

    async def find_people(self, platform: str, username: str) -> list[UserRef]:
        wanted = username.strip().lstrip("@").casefold()
        return [p for p in reversed(self._people.values())
                if wanted and p.platform == platform and p.username.casefold() == wanted]

    async def grant(self, platform: str, user_id: str, role: Role, scope: str) -> None:
        self._grants[(platform, user_id, scope)] = Role(role)

    async def revoke(self, platform: str, user_id: str, scope: str | None) -> int:
        gone = [
            k for k in self._grants if k[:2] == (platform, user_id) and scope in (None, k[2])
        ]
        for key in gone:
            del self._grants[key]
        return len(gone)

    async def revoke_keeping_an_admin(self, platform: str, user_id: str) -> int | None:
        admins = {k[:2] for k, role in self._grants.items() if role >= Role.ADMIN}
        if admins == {(platform, user_id)}:
            return None
        return await self.revoke(platform, user_id, None)

    async def roles_of(self, platform: str, user_id: str) -> dict[str, Role]:
        return {k[2]: r for k, r in self._grants.items() if k[:2] == (platform, user_id)}

    async def list_grants(self) -> list[Grant]:
        out = []
        for (platform, user_id, scope), role in sorted(self._grants.items()):
            person = self._people.get((platform, user_id))
            out.append(Grant(platform, user_id, role, scope, person.display if person else ""))
        return out

    async def add_pairing_code(self, code: str, expires_at: float) -> None:
        self._codes.setdefault(keyed_hash(self._secret, code), (expires_at, None))

    async def redeem_pairing_code(self, code: str, now: float) -> bool:
        code_hash = keyed_hash(self._secret, code)
        found = self._codes.get(code_hash)
        if found is None or found[1] is not None or found[0] <= now:
            return False
        self._codes[code_hash] = (found[0], now)
        return True

    # outbox (see OutboxEntry for versioning) -------------------------------------------------
    async def enqueue(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> bool:
        if dedup_key in self._keys:
            return False
        self._insert(dedup_key, chat, alert, now)
        return True

    async def upsert_card(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> None:
        entry_id = self._keys.get(dedup_key)
        if entry_id is None:
            self._insert(dedup_key, chat, alert, now)
            return
        entry = self._outbox[entry_id]
        self._outbox[entry_id] = dataclasses.replace(
            entry, alert=alert, version=entry.version + 1, next_attempt_at=now
        )
        self._done.discard(entry_id)

    def _insert(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> OutboxEntry:
        entry_id, self._next_id = self._next_id, self._next_id + 1
        self._keys[dedup_key] = entry_id
        entry = self._outbox[entry_id] = OutboxEntry(entry_id, dedup_key, chat, alert, now, 0, now)
        return entry

    def _undelivered(self) -> list[OutboxEntry]:
        inactive = {c for c, s in self._chats.items() if not s.active}
        return [
            e for i, e in sorted(self._outbox.items()) if i not in self._done and e.chat not in inactive
        ]

    async def due(self, now: float, limit: int = 100) -> list[OutboxEntry]:
        return [e for e in self._undelivered() if e.next_attempt_at <= now][:limit]

    async def pending_for_chat(self, chat: ChatRef) -> list[OutboxEntry]:
        return [
            e for i, e in sorted(self._outbox.items()) if i not in self._done and e.chat == chat
        ]

    async def undelivered_ids(self, limit: int) -> list[int]:
        return [e.id for e in self._undelivered()][: max(limit, 0)]

    async def mark_delivered(
        self, ids: list[int], message_id: str | None = None, version: int | None = None
    ) -> None:
        for entry_id in ids:
            entry = self._outbox.get(entry_id)
            if entry is None:
                continue
            seen = max(entry.delivered_version, entry.version if version is None else version)
            self._outbox[entry_id] = dataclasses.replace(
                entry,
                message_id=message_id if message_id is not None else entry.message_id,
                delivered_version=seen,
                attempts=0,
                last_error="",
            )
            if seen >= entry.version:
                self._done.add(entry_id)

    async def reschedule(self, ids: list[int], next_attempt_at: float, error: str) -> None:
        for entry_id in ids:
            entry = self._outbox.get(entry_id)
            if entry is not None:
                self._outbox[entry_id] = dataclasses.replace(
                    entry, attempts=entry.attempts + 1, next_attempt_at=next_attempt_at, last_error=error
                )

    async def outbox_depth(self) -> int:
        return len(self._undelivered())

    async def next_due_at(self) -> float | None:
        return min((e.next_attempt_at for e in self._undelivered()), default=None)

    async def prune(self, *, delivered_before: float, audit_before: float) -> tuple[int, int]:
        gone = [i for i in self._done if self._outbox[i].created_at < delivered_before]
        for entry_id in gone:
            del self._keys[self._outbox.pop(entry_id).dedup_key]  # the key may come back
            self._done.discard(entry_id)
        for call_id, (updated_at, _) in list(self._calls.items()):
            if updated_at < delivered_before:
                del self._calls[call_id]
        for call_id, rec in list(self._records.items()):
            if rec.start_ms < int(delivered_before * 1000):
                del self._records[call_id]
        kept = [e for e in self._audit if e.at >= audit_before]
        audit_gone, self._audit = len(self._audit) - len(kept), kept
        return len(gone), audit_gone

    # group commit ------------------------------------------------------------------------
    async def apply(self, writes: Sequence[Write]) -> list[OutboxEntry | None]:
        """Checked first, then applied without awaiting anything real: all or nothing."""
        known = (Enqueue, UpsertCard, SaveCall, DeleteCall, SetSetting, RecordCall)
        for op in writes:
            if not isinstance(op, known):
                raise StorageError(f"unknown write {type(op).__name__}")
        results: list[OutboxEntry | None] = []
        for op in writes:
            if isinstance(op, Enqueue):
                new = op.dedup_key not in self._keys
                results.append(self._insert(op.dedup_key, op.chat, op.alert, op.now) if new else None)
                continue
            if isinstance(op, UpsertCard):
                await self.upsert_card(op.dedup_key, op.chat, op.alert, op.now)
            elif isinstance(op, SaveCall):
                await self.save_call(op.call_id, op.snapshot, op.updated_at)
            elif isinstance(op, DeleteCall):
                await self.delete_call(op.call_id)
            elif isinstance(op, RecordCall):
                await self.record_call(op.record)
            else:
                await self.set_setting(op.key, op.value)
            results.append(None)
        return results

    # tracked calls ------------------------------------------------------------------------
    async def save_call(self, call_id: str, snapshot: dict[str, Any], updated_at: float) -> None:
        self._calls[call_id] = (updated_at, copy.deepcopy(snapshot))

    async def delete_call(self, call_id: str) -> None:
        self._calls.pop(call_id, None)

    async def load_calls(self) -> list[dict[str, Any]]:
        rows = sorted(self._calls.items(), key=lambda kv: (kv[1][0], kv[0]))
        return [copy.deepcopy(snapshot) for _, (_, snapshot) in rows]

    # finished calls (issue 13) -------------------------------------------------------------
    async def record_call(self, record: CallRecord) -> None:
        self._records[record.call_id] = record

    async def calls_between(self, start_ms: int, end_ms: int) -> list[CallRecord]:
        found = [r for r in self._records.values() if start_ms <= r.start_ms < end_ms]
        return sorted(found, key=lambda r: (r.start_ms, r.call_id))

    async def entries_of_message(self, chat: ChatRef, message_id: str) -> list[OutboxEntry]:
        return [e for _, e in sorted(self._outbox.items()) if e.chat == chat and e.message_id == message_id]

    async def missed_alerts(self, call_id: str) -> list[OutboxEntry]:
        prefix = f"missed:{call_id}:"
        return [e for _, e in sorted(self._outbox.items()) if e.dedup_key.startswith(prefix)]

    # audit and settings ---------------------------------------------------------------------
    async def audit(self, entry: AuditEntry) -> None:
        self._audit.append(entry)

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        return self._audit[::-1][: max(limit, 0)]

    async def get_setting(self, key: str) -> str | None:
        return self._settings.get(key)

    async def set_setting(self, key: str, value: str | None) -> None:
        if value is None:
            self._settings.pop(key, None)
        else:
            self._settings[key] = value

    async def close(self) -> None:
        logger.debug("memory store closed (%d outbox rows dropped)", len(self._outbox))
