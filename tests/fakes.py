"""Recording fakes of the core's ports, for conversation-style core tests.

``RecordingPbx`` implements :class:`bot.ports.PbxApi`: every call is appended to ``sent`` as
``(command, fields)``; results come from attributes (``users``, ``trunks``, ``next_uuid``) and a
scripted error can be queued per command with :meth:`RecordingPbx.fail_next`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.commands.service import CommandService
from bot.config import Settings
from bot.domain import (
    ActionReply,
    ActiveCall,
    AuditEntry,
    ChatAction,
    ChatCommand,
    ChatRef,
    ExtensionState,
    OutMessage,
    Role,
    SipUser,
    Trunk,
    UserRef,
)
from bot.errors import InvalidArgument
from bot.ports import PBX_COMMANDS
from storage.memory import MemoryStore


class RecordingPbx:
    """A :class:`bot.ports.PbxApi` that records what it was asked and answers from a script."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.users: list[SipUser] = []
        self.trunks: list[Trunk] = []
        self.next_uuid = "11111111-2222-3333-4444-555555555555"
        self.capabilities: frozenset[str] = PBX_COMMANDS
        self.api_name = "2.0"
        self._errors: dict[str, list[Exception]] = {}

    def fail_next(self, command: str, error: Exception) -> None:
        """The next ``command`` raises ``error`` (after being recorded)."""
        self._errors.setdefault(command, []).append(error)

    def names(self) -> list[str]:
        return [name for name, _ in self.sent]

    def _record(self, command: str, **fields: Any) -> None:
        for key, value in fields.items():
            if value == "" and key in ("from", "to", "uuid", "to_uuid", "num", "text", "data", "model"):
                raise InvalidArgument("pbx.empty_field", field=key)
        self.sent.append((command, {k: v for k, v in fields.items() if v is not None}))
        queued = self._errors.get(command)
        if queued:
            raise queued.pop(0)

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
        self._record("make_call", **{"from": from_, "to": to, "from_orig_number": from_orig_number,
                                     "from_orig_name": from_orig_name, "domain_to": domain_to,
                                     "from_name": from_name, "gate_from": gate_from, "gate_to": gate_to})
        return self.next_uuid

    async def transfer(
        self, uuid: str, to: str, *, gate_to: str | None = None, domain_to: str | None = None
    ) -> None:
        self._record("transfer", uuid=uuid, to=to, gate_to=gate_to, domain_to=domain_to)

    async def bridge(self, uuid: str, to_uuid: str) -> None:
        self._record("bridge", uuid=uuid, to_uuid=to_uuid)

    async def eavesdrop(self, uuid: str, from_: str, *, gate_from: str | None = None) -> str:
        self._record("eavesdrop", **{"uuid": uuid, "from": from_, "gate_from": gate_from})
        return self.next_uuid

    async def hangup_call(self, uuid: str) -> None:
        self._record("hangup_call", uuid=uuid)

    async def subscribe(self, events: Mapping[str, bool]) -> dict[str, bool]:
        self._record("subscribe", events=dict(events))
        return dict(events)

    async def reboot_phone(self, num: str, model: str) -> None:
        self._record("reboot_phone", num=num, model=model)

    async def reloadgw(self, num: str) -> None:
        self._record("reloadgw", num=num)

    async def sip_message(self, num: str, text: str) -> None:
        self._record("sip_message", num=num, text=text)

    async def flush_reg(self, num: str) -> None:
        self._record("flush_reg", num=num)

    async def trunk_list(self) -> list[Trunk]:
        self._record("trunk_list")
        return list(self.trunks)

    async def user_list(self) -> list[SipUser]:
        self._record("user_list")
        return list(self.users)

    async def message(self, data: str, target: str = "domain") -> None:
        self._record("message", data=data, target=target)


class FakeCalls:
    """A :class:`bot.ports.CallsView` over a list the test fills."""

    def __init__(self, calls: list[ActiveCall] | None = None) -> None:
        self.calls: list[ActiveCall] = list(calls or [])

    def active_calls(self) -> list[ActiveCall]:
        return list(self.calls)


class FakePresence:
    """A :class:`bot.ports.PresenceView` over a dict the test fills."""

    def __init__(self, states: dict[str, ExtensionState] | None = None) -> None:
        self.states: dict[str, ExtensionState] = dict(states or {})

    def set(self, ext: str, online: bool = True, **fields: Any) -> None:
        self.states[ext] = ExtensionState(ext=ext, online=online, **fields)

    def extension_states(self) -> dict[str, ExtensionState]:
        return dict(self.states)


def active_call(
    call_id: str,
    *,
    extensions: tuple[str, ...] = ("201",),
    caller: str = "79161234567",
    direction: str = "in",
    legs: tuple[str, ...] = (),
    phase: str = "answered",
) -> ActiveCall:
    """An :class:`ActiveCall` with sensible defaults for tests."""
    return ActiveCall(
        call_id=call_id,
        legs=legs or (call_id,),
        direction=direction,  # type: ignore[arg-type]
        caller_number=caller,
        callee=extensions[0] if extensions else "",
        extensions=extensions,
        phase=phase,  # type: ignore[arg-type]
        started_ms=1_700_000_000_000,
    )


class Conversation:
    """Push typed lines and button presses into a real :class:`CommandService` wired to a
    :class:`MemoryStore` and the recording fakes; read the replies and what the PBX received.

    Users: "1" is a BOT_ADMINS admin; others get roles with :meth:`grant`.
    """

    def __init__(self, *, language: str = "en", per_minute: int = 5, admins: str = "telegram:1") -> None:
        self.store = MemoryStore()
        self.pbx = RecordingPbx()
        self.calls = FakeCalls()
        self.presence = FakePresence()
        self.now = 1_700_000_000.0
        self.settings = Settings(_env_file=None, bot_admins=admins, bot_language=language,  # type: ignore[call-arg,arg-type]
                                 bot_dial_per_minute=per_minute)
        self.service = CommandService(store=self.store, pbx=self.pbx, calls=self.calls,
                                      presence=self.presence, settings=self.settings, clock=lambda: self.now)

    @staticmethod
    def user(user_id: str, username: str = "") -> UserRef:
        return UserRef("telegram", user_id, display=f"User {user_id}", username=username)

    def command(
        self, user: str | UserRef, line: str, *, chat: str = "100", private: bool = False
    ) -> ChatCommand:
        who = user if isinstance(user, UserRef) else self.user(user)
        name, _, rest = line.strip().lstrip("/").partition(" ")
        return ChatCommand(ChatRef("telegram", chat), who, name, tuple(rest.split()), rest.strip(),
                           chat_title="Test chat", is_private=private)

    async def say(
        self, user: str | UserRef, line: str, *, chat: str = "100", private: bool = False
    ) -> list[OutMessage]:
        return await self.service.handle_command(self.command(user, line, chat=chat, private=private))

    async def text(self, user: str | UserRef, line: str, *, chat: str = "100", private: bool = False) -> str:
        return "\n".join(m.text for m in await self.say(user, line, chat=chat, private=private))

    async def press(self, user: str, action: str, arg: str, *, chat: str = "100") -> ActionReply:
        pressed = ChatAction(ChatRef("telegram", chat), self.user(user), action, arg)
        return await self.service.handle_action(pressed)

    async def grant(self, user_id: str, role: Role, scope: str = "100") -> None:
        await self.store.grant("telegram", user_id, role, scope)

    async def bind(self, ext: str, chat: str = "100") -> None:
        ref = ChatRef("telegram", chat)
        lang = self.settings.bot_language
        await self.store.ensure_chat(ref, title="", language=lang, timezone="Europe/Moscow")
        await self.store.bind(ref, ext)

    async def last_audit(self) -> AuditEntry:
        return (await self.store.recent_audit(1))[0]
