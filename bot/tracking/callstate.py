"""The state of one tracked call (legs, extensions that rang, answer) and its views.

Kept apart from the tracker so the grouping logic stays short: this module only holds data and
turns it into the domain's CallCard / ActiveCall / MissedCall and into JSON-safe snapshots.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from bot.domain import ActiveCall, CallCard, MissedCall
from bot.events import ChannelCreate
from bot.phone import is_extension

GROUP_WINDOW_MS = 120_000
SNAPSHOT_VERSION = 2
#: B-leg causes that prove the call was answered on another phone (a pickup, a won ring race)
ANSWERED_ELSEWHERE = frozenset({"PICKED_OFF", "LOSE_RACE"})
_EXTERNAL = re.compile(r"\+?\d{6,}")
# A-leg causes that say nothing about why nobody answered; a B-leg's cause is more telling.
_VAGUE_CAUSES = frozenset({"", "NORMAL_CLEARING", "ORIGINATOR_CANCEL"})

Direction = Literal["in", "out", "internal"]


def classify(ev: ChannelCreate) -> Direction:
    """Direction of a call from its inbound A-leg: internal = an extension calling a non-external
    number with no trunk; outgoing = an extension calling an external number; else incoming."""
    if ev.gate or not is_extension(ev.caller_number):
        return "in"
    return "out" if _EXTERNAL.fullmatch(ev.destination_number) else "internal"


def leg_label(endpoint: str, destination: str) -> str:
    """The extension a leg rings ("201@D" -> "201"), else its destination number."""
    user, at, _ = endpoint.partition("@")
    if at and is_extension(user):
        return user
    return destination


class TrackedCall:
    """Mutable state of one call, owned by the tracker."""

    __slots__ = (
        "answered",
        "answered_by",
        "answered_leg",
        "answered_ms",
        "app",
        "call_id",
        "callee",
        "caller_name",
        "caller_number",
        "created_at",
        "direction",
        "ext_rang",
        "exts_cache",
        "gap_since",
        "gapped",
        "gate",
        "held",
        "inbound",
        "last_b_cause",
        "legs",
        "pbx_id",
        "picked",
        "rang",
        "started_ms",
        "talked",
        "xfer",
    )

    def __init__(
        self,
        *,
        call_id: str,
        direction: Direction,
        inbound: bool,
        caller_number: str,
        caller_name: str,
        callee: str,
        gate: str,
        started_ms: int,
        created_at: float,
        pbx_id: str = "",
    ) -> None:
        self.call_id = call_id
        self.pbx_id = pbx_id  # the PBX's own call identity (API 3.0 call_uuid), if the source gives one
        self.direction: Direction = direction
        self.inbound = inbound
        self.caller_number = caller_number
        self.caller_name = caller_name
        self.callee = callee
        self.gate = gate
        self.started_ms = started_ms
        self.created_at = created_at
        self.legs: dict[str, str] = {}  # live leg uuid -> label (extension or number)
        self.rang: dict[str, None] = {}  # extensions that rang, in order
        self.answered = False
        self.answered_by = ""
        self.answered_ms: int | None = None
        self.answered_leg = ""  # uuid of the leg whose answer made the call answered
        self.last_b_cause = ""
        self.app = False  # an application (IVR, voicemail, conference) answered the A-leg
        self.ext_rang = False  # a leg rang an extension's phone (endpoint ext@domain)
        self.picked = False  # a leg ended PICKED_OFF / LOSE_RACE: answered on another phone
        self.talked = False  # the answering leg was bridged inside this call: a real conversation
        self.xfer = False  # a leg ran a transfer application: the next leg of this caller joins
        self.gapped = False  # live while the event stream had a gap: the verdict is not certain
        self.gap_since: float | None = None  # link back at (clock s), no event of this call since
        self.exts_cache: tuple[str, ...] | None = None
        self.held: dict[str, None] = {}  # live legs on hold (never affects answered/missed)

    def add_leg(self, uuid: str, label: str) -> bool:
        """Track a leg; True when it adds an extension (the card's content changes)."""
        self.legs[uuid] = label
        return self.add_extension(label)

    @property
    def on_hold(self) -> bool:
        return bool(self.held)

    def set_hold(self, uuid: str, held: bool) -> bool:
        """Mark leg ``uuid`` held or not; True when the call's on-hold state changed."""
        before = self.on_hold
        if held and uuid in self.legs:
            self.held[uuid] = None
        else:
            self.held.pop(uuid, None)
        return before != self.on_hold

    def add_extension(self, ext: str) -> bool:
        if ext in self.rang or not is_extension(ext):
            return False
        self.rang[ext] = None
        self.exts_cache = None
        return True

    def mark_answered(self, by: str, at_ms: int, leg: str = "") -> None:
        self.answered = True
        self.answered_by = by
        self.answered_ms = at_ms
        self.answered_leg = leg

    def unanswer(self) -> None:
        """The answering leg moved to another call (a bridge proved it): not answered after all."""
        self.answered, self.answered_by, self.answered_ms, self.answered_leg = False, "", None, ""
        self.talked = False

    def elapsed_ms(self, now: float) -> int:
        """``started_ms`` plus the local time since the call was first seen: a moment on the
        call's own clock (PBX stamps) measured without mixing in the local clock's offset."""
        return self.started_ms + max(0, round((now - self.created_at) * 1000))

    def extensions(self) -> tuple[str, ...]:
        """Every extension involved: the calling extension (internal/outgoing) and those that rang."""
        if self.exts_cache is not None:
            return self.exts_cache
        caller = self.caller_number if self.direction != "in" and is_extension(self.caller_number) else ""
        rang = tuple(ext for ext in self.rang if ext != caller)
        self.exts_cache = (caller, *rang) if caller else rang
        return self.exts_cache

    def missed(self, ended_ms: int, cause: str) -> MissedCall | None:
        """The verdict when the root leg ends: missed iff an inbound, unanswered, not outgoing call
        that was not answered on another phone; an internal call only if an extension's phone
        rang or its destination is an extension nothing answered (a call to voicemail, a conference,
        an echo test or a feature code is an application, not a person).
        A call that lived through a gap in the event stream is ``uncertain``."""
        if not self.inbound or self.answered or self.direction == "out" or self.picked:
            return None
        if self.direction == "internal" and not self.ext_rang and (self.app or not is_extension(self.callee)):
            return None
        if cause in _VAGUE_CAUSES and self.last_b_cause not in _VAGUE_CAUSES:
            cause = self.last_b_cause
        return MissedCall(
            call_id=self.call_id,
            caller_number=self.caller_number,
            caller_name=self.caller_name,
            extensions=tuple(self.rang),
            destination=self.callee,
            gate=self.gate,
            started_ms=self.started_ms,
            ended_ms=ended_ms,
            hangup_cause=cause,
            internal=self.direction == "internal",
            uncertain=self.gapped,
        )

    def card(self, *, ended_ms: int | None = None, cause: str = "", missed: bool = False) -> CallCard:
        phase: Literal["ringing", "answered", "ended"] = (
            "ended" if ended_ms is not None else "answered" if self.answered else "ringing"
        )
        return CallCard(
            call_id=self.call_id,
            phase=phase,
            direction=self.direction,
            caller_number=self.caller_number,
            caller_name=self.caller_name,
            callee=self.callee,
            extensions=self.extensions(),
            gate=self.gate,
            started_ms=self.started_ms,
            answered_by=self.answered_by,
            answered_ms=self.answered_ms,
            ended_ms=ended_ms,
            hangup_cause=cause,
            missed=missed,
            on_hold=self.on_hold and ended_ms is None,
        )

    def active(self) -> ActiveCall:
        legs = [self.call_id] if self.call_id in self.legs else []
        legs += [uuid for uuid in self.legs if uuid != self.call_id]
        return ActiveCall(
            call_id=self.call_id,
            legs=tuple(legs),
            direction=self.direction,
            caller_number=self.caller_number,
            callee=self.callee,
            extensions=self.extensions(),
            phase="answered" if self.answered else "ringing",
            started_ms=self.started_ms,
            answered_by=self.answered_by,
            on_hold=self.on_hold,
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in self.__slots__ if name != "exts_cache"}
        data["legs"] = dict(self.legs)
        data["rang"] = list(self.rang)
        data["held"] = list(self.held)
        data["v"] = SNAPSHOT_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrackedCall:
        direction = data["direction"]
        if direction not in ("in", "out", "internal"):
            raise ValueError(f"bad direction {direction!r}")
        call = cls(
            call_id=str(data["call_id"]),
            direction=direction,
            inbound=bool(data["inbound"]),
            caller_number=str(data["caller_number"]),
            caller_name=str(data.get("caller_name", "")),
            callee=str(data.get("callee", "")),
            gate=str(data.get("gate", "")),
            started_ms=int(data["started_ms"]),
            created_at=float(data["created_at"]),
            pbx_id=str(data.get("pbx_id", "")),
        )
        call.legs = {str(k): str(v) for k, v in dict(data["legs"]).items()}
        call.rang = dict.fromkeys(str(ext) for ext in data.get("rang", ()))
        call.answered = bool(data.get("answered", False))
        call.answered_by = str(data.get("answered_by", ""))
        answered_ms = data.get("answered_ms")
        call.answered_ms = int(answered_ms) if answered_ms is not None else None
        call.last_b_cause = str(data.get("last_b_cause", ""))
        call.held = dict.fromkeys(str(u) for u in data.get("held", ()) if str(u) in call.legs)
        call.answered_leg = str(data.get("answered_leg", ""))
        for flag in ("app", "picked", "talked", "xfer", "gapped"):
            setattr(call, flag, bool(data.get(flag, False)))
        call.ext_rang = bool(data.get("ext_rang", bool(call.rang)))  # v1 snapshots: what rang
        gap_since = data.get("gap_since")
        call.gap_since = float(gap_since) if gap_since is not None else None
        return call
