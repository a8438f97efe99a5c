"""Platform-neutral domain types: chats, people, roles, messages, alerts, PBX listings.

Adapters turn an aiogram ``Message`` or a Slack payload into a :class:`ChatCommand` /
:class:`ChatAction`, and render an :class:`OutMessage` (styled spans + button rows) in their own
markup, escaping every span. The core never escapes and never builds platform markup.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.fastdata import fast_frozen

# --- chats and people ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat on one platform; ids are strings everywhere (Telegram ints are str()-ed)."""

    platform: str  # "telegram" | "slack" | "console"
    chat_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class UserRef:
    platform: str
    user_id: str
    display: str = field(default="", compare=False)  # full name, for audit and /admins
    username: str = field(default="", compare=False)  # handle without "@", when the platform has one
    #: the person's organisation when known: Slack's Enterprise Grid id, else their team (workspace) id
    org: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"


class Role(enum.IntEnum):
    """Ordered roles: a higher role may do everything a lower one may."""

    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Role | None:
        return {r.name.lower(): r for r in cls}.get(text.strip().lower())


@dataclass(frozen=True, slots=True)
class Grant:
    platform: str
    user_id: str
    role: Role
    scope: str  # "*" (everywhere) or a chat_id of the same platform
    display: str = ""


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """Everything stored per chat. ``quiet_*`` are local "HH:MM" in ``timezone``, or None."""

    chat: ChatRef
    title: str = ""
    language: str = "ru"
    timezone: str = "Europe/Moscow"
    active: bool = True
    alert_missed: bool = True  # missed calls of bound extensions
    alert_registration: bool = True  # phones of bound extensions going online/offline
    alert_calls: bool = False  # one live, edited card per call of bound extensions
    alert_all_missed: bool = False  # every missed call of the PBX, bound or not
    alert_internal: bool = False  # also alert internal extension-to-extension missed calls
    quiet_start: str | None = None
    quiet_end: str | None = None


# --- incoming chat input -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatCommand:
    """A slash command as typed: ``/call 88001006729`` -> name="call", args=("88001006729",)."""

    chat: ChatRef
    user: UserRef
    name: str
    args: tuple[str, ...] = ()
    text: str = ""  # the raw argument text after the command name (for /sipmsg, /broadcast)
    chat_title: str = ""
    is_private: bool = False
    #: the platform says someone else wrote it (Telegram forward_origin, via_bot): never run
    forwarded: bool = False
    #: no personal account behind it (Telegram anonymous group admin, a post as a channel): never run
    anonymous: bool = False
    #: people the platform resolved from mentions in the text (Slack ``<@U…>``), with their ``org``
    mentions: tuple[UserRef, ...] = ()
    #: the organisation the command was given in (Slack team id; "" where there is only one)
    org: str = ""


@dataclass(frozen=True, slots=True)
class ChatAction:
    """A button press: ``action``/``arg`` come from a :class:`Button` the core produced."""

    chat: ChatRef
    user: UserRef
    action: str
    arg: str = ""
    message_id: str | None = None


# --- outgoing messages ---------------------------------------------------------------------

Style = Literal["plain", "bold", "italic", "code"]


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: Style = "plain"


@dataclass(frozen=True, slots=True)
class Button:
    """A button; the adapter encodes ``action``+``arg`` compactly (Telegram: <= 64 bytes)."""

    label: str
    action: str  # "call" | "hangup" | "confirm" | "cancel"
    arg: str = ""


@dataclass(frozen=True, slots=True)
class OutMessage:
    spans: tuple[Span, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    #: a PNG to post with the text as its caption (Telegram sendPhoto, Slack file upload, console
    #: file); senders post it as a new message, and edits ignore it
    photo: bytes | None = field(default=None, repr=False)

    @classmethod
    def plain(cls, text: str) -> OutMessage:
        return cls((Span(text),))

    @property
    def text(self) -> str:
        """The message without styling (console, logs, tests, notification previews)."""
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True, slots=True)
class ActionReply:
    """What a button press produced: a short toast, and messages to post in the chat."""

    toast: str
    messages: tuple[OutMessage, ...] = ()
    edit: OutMessage | None = None  # replace the message that carried the button


# --- PBX listings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SipUser:
    """One entry of ``user_list`` (a registered extension)."""

    uid: str
    name: str = ""
    agent: str = ""
    ip: str = ""
    port: int | None = None
    local_ip: str = ""
    local_port: int | None = None
    exp_ms: int | None = None
    realm: str = ""


@dataclass(frozen=True, slots=True)
class Trunk:
    """One entry of ``trunk_list``."""

    extension: str
    desc: str = ""
    dest: str = ""
    uri: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class ActiveCall:
    """A call in progress, as the call tracker sees it (for ``/calls`` and ``/hangup``)."""

    call_id: str  # the A-leg uuid (or the only leg's uuid)
    legs: tuple[str, ...]  # every live leg uuid, A-leg first
    direction: Literal["in", "out", "internal"]
    caller_number: str
    callee: str
    extensions: tuple[str, ...]  # extensions involved (ringing or talking)
    phase: Literal["ringing", "answered"]
    started_ms: int
    answered_by: str = ""
    on_hold: bool = False  # some leg of the call is on hold


@dataclass(frozen=True, slots=True)
class ExtensionState:
    """What the bot knows of one extension (for ``/who``)."""

    ext: str
    online: bool
    agent: str = ""
    ip: str = ""
    blf: str = ""  # last blf status: ringing | answered | hangup | unregistered | ...
    name: str = ""


# --- alerts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MissedCall:
    call_id: str  # the inbound A-leg uuid
    caller_number: str
    caller_name: str
    extensions: tuple[str, ...]  # extensions that rang
    destination: str  # number dialled (a group, IVR or extension)
    gate: str  # trunk the call came through ("" for internal calls)
    started_ms: int
    ended_ms: int
    hangup_cause: str
    internal: bool = False
    #: the PBX link was down during the call, so its answer may have been lost: the outcome is not
    #: known until the call history settles it (the alert says so plainly)
    uncertain: bool = False
    #: "" when seen live; else why it was found in the call history: "offline" (the bot was not
    #: running) or "link_down" (the PBX link was down); "answered": the history settled an
    #: uncertain alert as answered after all (its outbox row is updated to say so)
    backfill: str = ""
    pbx_id: str = ""  # the PBX's own call uuid when known (API 3.0 call_uuid, history uuid)
    #: follow-up (bot.alerts.resolve): "" open, "callback", "again" (the caller called again and
    #: was answered) or "done" (marked by hand); who (extension or person), when, talk time
    resolution: str = ""
    resolved_by: str = ""
    resolved_name: str = ""
    resolved_ms: int = 0
    talk_ms: int = 0
    tries: tuple[tuple[str, int], ...] = ()  # (extension, stamp ms) of callbacks nobody answered

    kind: Literal["missed"] = "missed"


@dataclass(frozen=True, slots=True)
class RegistrationChange:
    ext: str
    online: bool
    at_ms: int
    agent: str = ""
    ip: str = ""
    port: int | None = None
    flaps: int = 1  # changes folded into this alert (>1 only when flapping)

    kind: Literal["registration"] = "registration"


@fast_frozen  # built for almost every PBX event (bot.fastdata)
class CallCard:
    """The live state of one call for chats subscribed to all calls (one edited message)."""

    call_id: str
    phase: Literal["ringing", "answered", "ended"]
    direction: Literal["in", "out", "internal"]
    caller_number: str
    caller_name: str
    callee: str  # dialled number or extension
    extensions: tuple[str, ...]
    gate: str
    started_ms: int
    answered_by: str = ""
    answered_ms: int | None = None
    ended_ms: int | None = None
    hangup_cause: str = ""
    missed: bool = False
    on_hold: bool = False  # a live leg is on hold (False once ended)

    kind: Literal["card"] = "card"


@dataclass(frozen=True, slots=True)
class MissedDigest:
    """Missed calls found in the call history after a long outage (older than
    ``BOT_BACKFILL_MAX_H``), sent to a chat as one message; ``backfill`` as in MissedCall."""

    calls: tuple[MissedCall, ...]
    backfill: str = "offline"

    kind: Literal["missed_digest"] = "missed_digest"


@dataclass(frozen=True, slots=True)
class ReportAlert:
    """A scheduled report in the outbox: its caption (already in the chat's language) and PNG."""

    caption: str
    png_b64: str = ""
    day: str = ""  # the local date it covers, "YYYY-MM-DD"

    kind: Literal["report"] = "report"


Alert = MissedCall | RegistrationChange | CallCard | MissedDigest | ReportAlert

_AlertType = (
    type[MissedCall] | type[RegistrationChange] | type[CallCard] | type[MissedDigest] | type[ReportAlert]
)
_ALERT_TYPES: dict[str, _AlertType] = {
    "missed": MissedCall,
    "report": ReportAlert,
    "registration": RegistrationChange,
    "card": CallCard,
    "missed_digest": MissedDigest,
}


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    """JSON-safe dict (tuples become lists) for the outbox."""
    return asdict(alert)


def alert_from_dict(data: dict[str, Any]) -> Alert:
    cls = _ALERT_TYPES[data["kind"]]
    values = dict(data)
    if "calls" in values:
        values["calls"] = tuple(alert_from_dict({**c, "kind": "missed"}) for c in values["calls"])
    if "extensions" in values:
        values["extensions"] = tuple(values["extensions"])
    if "tries" in values:
        values["tries"] = tuple((str(ext), int(ms)) for ext, ms in values["tries"])
    return cls(**values)


# --- stored records -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One alert in the durable outbox. Cards are edited in place: ``version`` grows with each
    update, ``delivered_version`` is the last version the chat has seen."""

    id: int
    dedup_key: str
    chat: ChatRef
    alert: Alert
    created_at: float
    attempts: int = 0
    next_attempt_at: float = 0.0
    message_id: str | None = None
    version: int = 1
    delivered_version: int = 0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: float
    platform: str
    chat_id: str
    user_id: str
    user_display: str
    command: str
    args: str
    allowed: bool
    result: str  # "ok", "denied", "invalid: ...", PBX error code, "timeout", ...


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """One call of the PBX's call history (HTTP ``mongo_history/search.json``): the PBX's own
    verdict on a finished call, one record per call (not per leg). Stamps in UNIX seconds."""

    uuid: str  # the call's uuid (API 3.0: the legs' call_uuid and call_end's uuid)
    caller_number: str
    direction: str  # accountcode: "inbound" | "outbound" | "local"
    start_s: int
    end_s: int = 0
    caller_name: str = ""
    destination: str = ""  # what was dialled: extension, group, queue or external number
    talk_s: int = 0  # user_talk_time: seconds a person talked; 0 = nobody answered
    duration_s: int = 0
    hangup_cause: str = ""
    gateway: str = ""  # the trunk (company) number
    extensions: tuple[str, ...] = ()  # the "user" events' numbers: who rang, in order
    answered_by: str = ""  # the first extension with an answered_stamp

    @property
    def missed(self) -> bool:
        """The PBX's rule: an inbound call nobody talked on."""
        return self.direction == "inbound" and self.talk_s == 0


@fast_frozen  # one per finished call (bot.fastdata)
class CallRecord:
    """One finished call as the bot saw it (for /missed, reports and follow-ups). ``verdict``:
    "answered", "missed" (an inbound call nobody answered) or "unanswered" (an outgoing or
    internal call nobody answered); resolution fields as on :class:`MissedCall`."""

    call_id: str
    start_ms: int
    direction: str  # "in" | "out" | "internal"
    caller: str
    callee: str
    #: bot.phone.number_key of the far end; "" when hidden, or when not worked out (an answered
    #: call that no open missed call could match: see FollowUps.on_finished)
    number_key: str
    extensions: tuple[str, ...] = ()  # extensions that rang (or called), in order
    answered_by: str = ""
    verdict: str = "answered"
    ring_s: float = 0.0
    talk_s: float = 0.0
    resolution: str = ""
    resolved_by: str = ""
    resolved_name: str = ""
    resolved_ms: int = 0
    tries: tuple[tuple[str, int], ...] = ()

    @property
    def missed(self) -> bool:
        return self.verdict == "missed"



@dataclass(frozen=True, slots=True)
class HourlyChart:
    """What the calls-per-hour chart shows: one stacked bar (answered below, missed above) per
    label; drawn by a :class:`bot.ports.ChartDrawer`."""

    title: str
    labels: tuple[str, ...]
    answered: tuple[int, ...]
    missed: tuple[int, ...]
    answered_label: str = "answered"
    missed_label: str = "missed"
