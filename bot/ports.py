"""The small interfaces the core needs from the outside world (``typing.Protocol``).

- :class:`PbxApi` is implemented by ``adapters.pbx.v2.client.PbxClient`` (and recording fakes).
- :class:`ChatSender` by each chat adapter (Telegram, Slack, console).
- :class:`Store` by ``storage.sqlite.SqliteStore`` and ``storage.memory.MemoryStore``.
All methods are async: the SQLite store runs on its own thread and the core awaits it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain import (
    ActionReply,
    ActiveCall,
    Alert,
    AuditEntry,
    CallRecord,
    ChatAction,
    ChatCommand,
    ChatRef,
    ChatSettings,
    ExtensionState,
    Grant,
    HistoryRecord,
    HourlyChart,
    OutboxEntry,
    OutMessage,
    Role,
    SipUser,
    Trunk,
    UserRef,
)
from bot.writes import Write

#: Every PBX command the core may ask for (API 2.0 has them all). A source lists the ones its
#: account's API offers in :attr:`PbxApi.capabilities`; the core never calls one that is absent.
PBX_COMMANDS = frozenset(
    {
        "make_call", "transfer", "bridge", "eavesdrop", "hangup_call", "reboot_phone", "reloadgw",
        "sip_message", "flush_reg", "trunk_list", "user_list", "message",
    }
)  # fmt: skip


class PbxApi(Protocol):
    """The PBX commands the core uses, API-neutral (named after onlinePBX WebSockets API 2.0,
    which has all of them).

    The core asks :attr:`capabilities` before offering a command; calling a method that is not
    among them raises :class:`bot.errors.PbxNotSupported`. Every method raises
    :class:`bot.errors.InvalidArgument` before sending when a required field is empty or invalid,
    :class:`bot.errors.PbxCommandError` on ``status: false``,
    :class:`bot.errors.PbxTimeout` when no ``callback`` came, and
    :class:`bot.errors.PbxUnavailable` when the link stayed down for the whole timeout.
    """

    @property
    def capabilities(self) -> frozenset[str]:
        """The names (from :data:`PBX_COMMANDS`) this PBX's API offers right now."""
        ...

    @property
    def api_name(self) -> str:
        """The API in use, for people: "2.0", "3.0"."""
        ...

    async def make_call(
        self,
        from_: str,
        to: str,
        *,
        from_orig_number: str | None = None,
        from_orig_name: str | None = None,
        domain_to: str | None = None,
        from_name: str | None = None,
        gate_from: str | None = None,
        gate_to: str | None = None,
    ) -> str:
        """Returns the uuid of the new call."""
        ...

    async def transfer(
        self, uuid: str, to: str, *, gate_to: str | None = None, domain_to: str | None = None
    ) -> None: ...

    async def bridge(self, uuid: str, to_uuid: str) -> None: ...

    async def eavesdrop(self, uuid: str, from_: str, *, gate_from: str | None = None) -> str:
        """Returns the uuid of the listening call."""
        ...

    async def hangup_call(self, uuid: str) -> None: ...

    async def subscribe(self, events: Mapping[str, bool]) -> dict[str, bool]: ...

    async def reboot_phone(self, num: str, model: str) -> None: ...

    async def reloadgw(self, num: str) -> None: ...

    async def sip_message(self, num: str, text: str) -> None: ...

    async def flush_reg(self, num: str) -> None: ...

    async def trunk_list(self) -> list[Trunk]: ...

    async def user_list(self) -> list[SipUser]: ...

    async def message(self, data: str, target: str = "domain") -> None: ...


class CallHistory(Protocol):
    """The PBX's call history (onlinePBX HTTP API), the authority on finished calls."""

    async def search(self, start_s: int, end_s: int) -> list[HistoryRecord]:
        """Every call that started in ``[start_s, end_s)`` (UNIX seconds), oldest first; the
        source splits the span into the API's windows and pages. Malformed records are skipped
        and counted by the source. Raises :class:`bot.errors.PbxError` subclasses."""
        ...


class ChartDrawer(Protocol):
    """Draws report charts (``adapters.charts``; the plotting library stays out of the core and is
    imported only when the first chart is drawn)."""

    async def draw(self, chart: HourlyChart) -> bytes:
        """The chart as a PNG image."""
        ...


@dataclass(frozen=True, slots=True)
class PacingLimits:
    """Platform pacing for one chat: at most one message per ``min_interval_s``, and at most
    ``per_minute`` messages in any 60 s (None: no per-minute cap)."""

    min_interval_s: float = 1.0
    per_minute: int | None = None


class ChatSender(Protocol):
    """Delivers rendered messages to one platform.

    Raises :class:`bot.errors.RetryAfter`, :class:`bot.errors.ChatGone`,
    :class:`bot.errors.ChatMigrated`, :class:`bot.errors.MessageGone` or another
    :class:`bot.errors.DeliveryError` (transient); never a raw SDK exception.
    """

    platform: str

    def limits_for(self, chat: ChatRef) -> PacingLimits: ...

    async def send(self, chat: ChatRef, message: OutMessage) -> str:
        """Posts ``message``; returns the platform's message id (as str)."""
        ...

    async def edit(self, chat: ChatRef, message_id: str, message: OutMessage) -> None: ...


class Store(Protocol):
    """Durable state. Every method is a single transaction."""

    # chats ------------------------------------------------------------------------------
    async def ensure_chat(
        self, chat: ChatRef, *, title: str, language: str, timezone: str
    ) -> ChatSettings:
        """Insert the chat with these defaults if it is new (updating ``title`` if it changed,
        and marking it active again); return its settings."""
        ...

    async def get_chat(self, chat: ChatRef) -> ChatSettings | None: ...

    async def update_chat(self, settings: ChatSettings) -> None:
        """Write every field of ``settings`` (the chat must exist)."""
        ...

    async def list_chats(self) -> list[ChatSettings]: ...

    async def migrate_chat(self, old: ChatRef, new: ChatRef) -> None:
        """Move settings, bindings, chat-scoped grants and undelivered outbox rows to ``new``."""
        ...

    # bindings ----------------------------------------------------------------------------
    async def bind(self, chat: ChatRef, ext: str) -> bool:
        """Bind; False if it was bound already."""
        ...

    async def unbind(self, chat: ChatRef, ext: str | None) -> list[str]:
        """Remove one binding (or all, for None); returns the extensions removed."""
        ...

    async def extensions_of(self, chat: ChatRef) -> list[str]: ...

    async def chats_of(self, ext: str) -> list[ChatRef]: ...

    async def bindings(self) -> dict[str, list[ChatRef]]:
        """Every bound extension -> its chats (each list in ``chats_of`` order): the alert
        router reads them all at once, not one extension at a time."""
        ...

    # people and roles ----------------------------------------------------------------------
    async def remember_person(self, user: UserRef) -> None:
        """Record display name and username, so ``/grant @username`` can find the user."""
        ...

    async def find_person(self, platform: str, handle: str) -> UserRef | None:
        """By user id or by username (without "@"), case-insensitive."""
        ...

    async def find_people(self, platform: str, username: str) -> list[UserRef]:
        """Everyone ever seen with ``username`` (without "@", case-insensitive), newest first."""
        ...

    async def grant(self, platform: str, user_id: str, role: Role, scope: str) -> None:
        """Set the role of a user in ``scope`` ("*" or a chat_id), replacing any there."""
        ...

    async def revoke(self, platform: str, user_id: str, scope: str | None) -> int:
        """Remove the grant in ``scope`` (all scopes for None); returns how many went."""
        ...

    async def revoke_keeping_an_admin(self, platform: str, user_id: str) -> int | None:
        """Like ``revoke(platform, user_id, None)``, unless the user is the only admin there is:
        then None and nothing changes. The check and the change are one transaction."""
        ...

    async def roles_of(self, platform: str, user_id: str) -> dict[str, Role]:
        """scope -> role."""
        ...

    async def list_grants(self) -> list[Grant]: ...

    async def add_pairing_code(self, code: str, expires_at: float) -> None:
        """Keep a one-time ``code`` until ``expires_at``: only its hash keyed with the installation's
        secret is stored (a copy of the database alone does not let anyone try codes)."""
        ...

    async def redeem_pairing_code(self, code: str, now: float) -> bool:
        """True once for an unexpired code; atomically marks it used."""
        ...

    # outbox ------------------------------------------------------------------------------
    async def enqueue(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> bool:
        """Add an alert; False (and nothing written) if ``dedup_key`` was ever enqueued."""
        ...

    async def upsert_card(self, dedup_key: str, chat: ChatRef, alert: Alert, now: float) -> None:
        """Insert a card, or replace its alert and bump ``version`` (due again at ``now``)."""
        ...

    async def due(self, now: float, limit: int = 100) -> list[OutboxEntry]:
        """Undelivered entries of active chats with ``next_attempt_at <= now``, oldest first."""
        ...

    async def pending_for_chat(self, chat: ChatRef) -> list[OutboxEntry]:
        """Every undelivered entry of ``chat``, oldest first, whatever its schedule."""
        ...

    async def undelivered_ids(self, limit: int) -> list[int]:
        """Ids of the undelivered entries of active chats (whatever their schedule), oldest
        first, at most ``limit``: a cheap check that the outbox holds nothing but what the
        delivery worker was just handed (#14's short path)."""
        ...

    async def mark_delivered(
        self, ids: list[int], message_id: str | None = None, version: int | None = None
    ) -> None:
        """Alerts: done. A card (one id): remember ``message_id`` and ``delivered_version``;
        it is done once the delivered version is the latest."""
        ...

    async def reschedule(self, ids: list[int], next_attempt_at: float, error: str) -> None:
        """attempts += 1, keep ``error`` for operators."""
        ...

    async def outbox_depth(self) -> int:
        """Undelivered entries (active chats only)."""
        ...

    async def next_due_at(self) -> float | None: ...

    async def prune(self, *, delivered_before: float, audit_before: float) -> tuple[int, int]:
        """Retention, one transaction: delete outbox rows that are done (delivered, or dropped;
        a card once ``delivered_version == version``) and were created before
        ``delivered_before`` (their dedup keys may then be enqueued again), tracked calls not
        updated since ``delivered_before``, call records that started before it,
        and audit rows older than ``audit_before``.
        Undelivered rows are never deleted. Returns (outbox rows deleted, audit rows deleted)."""
        ...

    # group commit (see bot/writes.py) -------------------------------------------------------
    async def apply(self, writes: Sequence[Write]) -> list[OutboxEntry | None]:
        """Apply ``writes`` in order in ONE transaction (all or nothing; a failure raises
        :class:`bot.errors.StorageError` and stores none of them). One result per write:
        ``Enqueue`` -> the new :class:`OutboxEntry`, exactly as ``due`` would read it back,
        when its key was new (None when it was not), every other op -> None."""
        ...

    # tracked calls ------------------------------------------------------------------------
    async def save_call(self, call_id: str, snapshot: dict[str, Any], updated_at: float) -> None: ...

    async def delete_call(self, call_id: str) -> None: ...

    async def load_calls(self) -> list[dict[str, Any]]: ...

    # finished calls (issue 13) -----------------------------------------------------------------
    async def record_call(self, record: CallRecord) -> None:
        """Insert or replace the record of ``record.call_id`` (pruned by start with the outbox)."""
        ...

    async def calls_between(self, start_ms: int, end_ms: int) -> list[CallRecord]:
        """Records that started in ``[start_ms, end_ms)``, oldest first."""
        ...

    async def missed_alerts(self, call_id: str) -> list[OutboxEntry]:
        """Every outbox entry (delivered or not) of the missed-call alert of ``call_id``."""
        ...

    async def entries_of_message(self, chat: ChatRef, message_id: str) -> list[OutboxEntry]:
        """Every entry (delivered or not) of ``chat`` posted as ``message_id`` (a digest's alerts),
        oldest first."""
        ...

    # audit and settings ---------------------------------------------------------------------
    async def audit(self, entry: AuditEntry) -> None: ...

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        """Newest first."""
        ...

    async def get_setting(self, key: str) -> str | None: ...

    async def set_setting(self, key: str, value: str | None) -> None: ...

    async def close(self) -> None: ...


class AlertRenderer(Protocol):
    """Turns stored alerts into messages in the chat's language and time zone."""

    def render(self, alert: Alert, chat: ChatSettings) -> OutMessage: ...

    def render_digest(self, alerts: list[Alert], chat: ChatSettings) -> OutMessage:
        """One message that covers every alert in ``alerts`` (a burst, or quiet hours)."""
        ...


class ChatCore(Protocol):
    """What a chat adapter calls: the core decides everything, the adapter only translates."""

    async def handle_command(self, cmd: ChatCommand) -> list[OutMessage]: ...

    async def handle_action(self, action: ChatAction) -> ActionReply: ...

    async def handle_migration(self, old: ChatRef, new: ChatRef) -> None:
        """A Telegram group became a supergroup: keep bindings and settings under ``new``."""
        ...

    def menu(self, language: str) -> list[tuple[str, str]]:
        """(command, short description) pairs for the platform's command menu."""
        ...

    async def language(self, chat: ChatRef) -> str:
        """The chat's language ("ru" or "en"), for the few words an adapter says itself."""
        ...


class CallsView(Protocol):
    def active_calls(self) -> list[ActiveCall]: ...


class PresenceView(Protocol):
    def extension_states(self) -> dict[str, ExtensionState]: ...
