"""PBX events as frozen dataclasses: the only shape in which PBX data travels through the core.

The wire parser (``adapters.pbx.parse``) builds these from Socket.IO event payloads with tolerant
typing (numbers as strings or numbers, optional fields absent -> ``None`` or ``""``). Timestamps
are kept in the units of the contract: ``*_stamp`` in UNIX milliseconds, ``blf.timestamp`` in
UNIX seconds. ``call_id`` is the call's identity when a source provides one (API 3.0's
``call_uuid``); empty otherwise, and the tracker then groups legs by its own rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ChannelCreate:
    uuid: str
    direction: str  # "inbound" | "outbound"
    created_stamp: int | None = None
    state: str = ""
    endpoint: str = ""
    domain: str = ""
    caller_number: str = ""
    caller_name: str = ""
    destination_number: str = ""
    destination_host: str = ""
    gate: str = ""
    diversion: str = ""
    call_id: str = ""  # the call the leg belongs to, when the source says (3.0 call_uuid)


@dataclass(frozen=True, slots=True)
class ChannelDestroy:
    uuid: str
    direction: str = ""
    created_stamp: int | None = None
    state: str = ""
    endpoint: str = ""
    hangup_cause: str = ""
    call_id: str = ""  # the call the leg belongs to, when the source says (3.0 call_uuid)


@dataclass(frozen=True, slots=True)
class ChannelAnswer:
    uuid: str
    answered_stamp: int | None = None
    read_codec: str = ""
    read_rate: int | None = None
    read_bitrate: int | None = None
    write_codec: str = ""
    write_rate: int | None = None
    write_bitrate: int | None = None
    call_id: str = ""  # the call the leg belongs to, when the source says (3.0 call_uuid)


@dataclass(frozen=True, slots=True)
class ChannelBridge:
    aleg_uuid: str
    bleg_uuid: str
    direction: str = ""
    call_id: str = ""  # the call the leg belongs to, when the source says (3.0 call_uuid)


@dataclass(frozen=True, slots=True)
class ChannelApplication:
    uuid: str
    application: str = ""
    application_data: Any = None
    call_id: str = ""  # the call the leg belongs to, when the source says (3.0 call_uuid)


@dataclass(frozen=True, slots=True)
class ChannelHold:
    uuid: str
    call_id: str = ""  # the call the leg belongs to, when the source says (3.0 call_uuid)


@dataclass(frozen=True, slots=True)
class ChannelUnhold:
    uuid: str
    call_id: str = ""  # the call the leg belongs to, when the source says (3.0 call_uuid)


@dataclass(frozen=True, slots=True)
class Blf:
    uid: str
    status: str  # ringing | answered | hangup | unregistered | anything else, kept raw
    direction: str = ""
    rank: str = ""
    other_leg: str = ""
    uuid: str = ""
    timestamp: int | None = None  # UNIX seconds


@dataclass(frozen=True, slots=True)
class Registration:
    uid: str
    state: str  # pre_register | register_attempt | register
    agent: str = ""
    ip: str = ""
    port: int | None = None
    expires: int | None = None  # seconds


@dataclass(frozen=True, slots=True)
class CallEnd:
    """The PBX's own verdict on a whole call (API 3.0 ``call_end``, sent once its last leg ended).

    ``call_id`` is the call's identity (equal to its legs' ``call_id``); stamps are UNIX ms,
    ``duration`` and ``user_talk_time`` seconds; ``type`` is inbound / outbound / local.
    """

    call_id: str
    caller_number: str = ""
    caller_name: str = ""
    destination: str = ""
    start_stamp: int | None = None
    end_stamp: int | None = None
    duration: int | None = None
    user_talk_time: int | None = None
    hangup_cause: str = ""
    type: str = ""
    origin: str = ""
    gateway: str = ""

    @property
    def answered(self) -> bool | None:
        """True when a person talked, False when nobody did, None when the PBX did not say."""
        return None if self.user_talk_time is None else self.user_talk_time > 0

    @property
    def missed(self) -> bool:
        """The contract's rule: an inbound call nobody talked on (``user_talk_time == 0``)."""
        return self.type == "inbound" and self.user_talk_time == 0


@dataclass(frozen=True, slots=True)
class RawEvent:
    """An event the contract does not describe (or a group we do not model): passed on as is."""

    name: str
    payload: Any = field(default=None, compare=False)


PbxEvent = (
    ChannelCreate
    | ChannelDestroy
    | ChannelAnswer
    | ChannelBridge
    | ChannelApplication
    | ChannelHold
    | ChannelUnhold
    | Blf
    | Registration
    | CallEnd
    | RawEvent
)

#: Socket.IO event name -> dataclass, for the parser and the simulator.
EVENT_TYPES: dict[str, type] = {
    "channel_create": ChannelCreate,
    "channel_destroy": ChannelDestroy,
    "channel_answer": ChannelAnswer,
    "channel_bridge": ChannelBridge,
    "channel_application": ChannelApplication,
    "channel_hold": ChannelHold,
    "channel_unhold": ChannelUnhold,
    "blf": Blf,
    "registration": Registration,
}
