"""What the simulated PBX knows right now: live channels and phone registrations.

Strategy: :class:`Book` learns only by observing the events the simulator emits (whatever their
source: traffic, scenario, command), so ``hangup_call``/``user_list`` agree with the wire.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from adapters.pbx.simulator.legs import Leg, Payload


def leg_from_create(p: Payload) -> Leg:
    """Rebuild a :class:`Leg` from its ``channel_create`` payload."""
    stamp = p.get("created_stamp")
    return Leg(
        str(p.get("uuid", "")), str(p.get("direction", "")),
        int(str(stamp)) if str(stamp or "").isdigit() else 0,
        str(p.get("endpoint", "")), str(p.get("domain", "")),
        str(p.get("caller_number", "")), str(p.get("caller_name", "")), str(p.get("destination_number", "")),
        str(p.get("gate", "")),
    )


@dataclass(slots=True)
class Live:
    """A live channel, the run (call) that owns it, its bridged peer, whom it listens to."""

    leg: Leg
    owner: Any = None
    peer: str = ""
    answered: bool = False
    spies_on: str = ""


@dataclass(slots=True)
class Reg:
    payload: Payload
    until: float  # time.monotonic() deadline (scaled)
    exp_ms: int  # UNIX ms, as user_list shows it


@dataclass(slots=True)
class Book:
    time_scale: float = 1.0
    channels: dict[str, Live] = field(default_factory=dict)
    regs: dict[str, Reg] = field(default_factory=dict)

    def observe(self, name: str, payload: Payload, owner: Any = None) -> None:
        """Update the state from one emitted event."""
        uuid = str(payload.get("uuid", ""))
        if name == "channel_create" and uuid:
            self.channels[uuid] = Live(leg_from_create(payload), owner)
        elif name == "channel_destroy":
            gone = self.channels.pop(uuid, None)
            if gone and gone.peer in self.channels and self.channels[gone.peer].peer == uuid:
                self.channels[gone.peer].peer = ""
        elif name == "channel_answer" and uuid in self.channels:
            self.channels[uuid].answered = True
        elif name == "channel_bridge":
            self._link(str(payload.get("aleg_uuid", "")), str(payload.get("bleg_uuid", "")))
        elif name == "registration" and payload.get("state") == "register":
            self.register(payload)
        elif name == "blf" and payload.get("status") == "unregistered":
            self.regs.pop(str(payload.get("uid")), None)

    def _link(self, a: str, b: str) -> None:
        if a in self.channels and b in self.channels:
            self.channels[a].peer, self.channels[b].peer = b, a

    def register(self, payload: Payload) -> None:
        expires = float(payload.get("expires") or 3600)
        self.regs[str(payload.get("uid"))] = Reg(
            dict(payload), time.monotonic() + expires / self.time_scale, int((time.time() + expires) * 1000))

    def registered(self) -> dict[str, Reg]:
        now = time.monotonic()
        return {uid: r for uid, r in self.regs.items() if r.until > now}

    def owned_by(self, owner: Any) -> list[str]:
        return [u for u, ch in self.channels.items() if owner is not None and ch.owner is owner]

    def spies_of(self, uuid: str) -> list[str]:
        return [u for u, ch in self.channels.items() if ch.spies_on == uuid]
