"""Payload builders for one channel (leg) of a call, shaped as wire-calls.md and the seed show.

Strategy: a :class:`Leg` knows its uuid, direction and numbers; each method returns one event
payload stamped with the simulated clock. Stamps follow the seed: created as a number, the
destroy and answer stamps as strings (clients must parse both).
"""

from __future__ import annotations

import random
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any, NamedTuple

Payload = dict[str, Any]


class Step(NamedTuple):
    """One scheduled event: ``at`` seconds (simulated) after the start of its sequence."""

    at: float
    name: str
    payload: Payload


def new_uuid(rng: random.Random) -> str:
    """A version-4 looking uuid drawn from ``rng`` (deterministic for a seed)."""
    return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))


def ext_of(endpoint: str) -> str:
    """``"201@d"`` -> ``"201"``; an external endpoint (a plain number) -> ``""``."""
    return endpoint.partition("@")[0] if "@" in endpoint else ""


@dataclass(frozen=True, slots=True)
class Leg:
    uuid: str
    direction: str  # inbound | outbound
    created_ms: int
    endpoint: str
    domain: str
    caller_number: str
    caller_name: str
    destination_number: str
    gate: str = ""

    @property
    def ext(self) -> str:
        return ext_of(self.endpoint)

    def create(self) -> Payload:
        return {
            "uuid": self.uuid, "direction": self.direction, "created_stamp": self.created_ms,
            "state": "CS_INIT", "endpoint": self.endpoint, "domain": self.domain,
            "caller_number": self.caller_number, "caller_name": self.caller_name,
            "destination_number": self.destination_number, "destination_host": self.domain,
            "gate": self.gate, "diversion": "",
        }

    def answer(self, at_ms: int) -> Payload:
        return {
            "uuid": self.uuid, "answered_stamp": str(at_ms),
            "read_codec": "PCMA", "read_rate": "8000", "read_bitrate": "64000",
            "write_codec": "PCMA", "write_rate": "8000", "write_bitrate": "64000",
        }

    def destroy(self, cause: str) -> Payload:
        return {
            "uuid": self.uuid, "direction": self.direction, "created_stamp": str(self.created_ms),
            "state": "CS_DESTROY", "endpoint": self.endpoint, "hangup_cause": cause,
        }


def blf(uid: str, status: str, leg_uuid: str, other: str, at_ms: int, *, inbound: bool = True) -> Payload:
    """A busy-lamp event; ``inbound``: the extension is called (``in``/``slave``)."""
    return {
        "uid": uid, "status": status, "direction": "in" if inbound else "out",
        "rank": "slave" if inbound else "master", "other_leg": other, "uuid": leg_uuid,
        "timestamp": at_ms // 1000,
    }


def bridge(aleg: str, bleg: str, direction: str = "inbound") -> Payload:
    return {"direction": direction, "aleg_uuid": aleg, "bleg_uuid": bleg}
