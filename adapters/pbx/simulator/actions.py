"""Pure builders of the sequences that commands and phones cause: click-to-call (``make_call``),
the new leg of a ``transfer``, an ``eavesdrop`` leg, and SIP registrations.

Strategy: like :mod:`.calls`, each returns time-ordered steps from an rng and a start time; the
server decides *when* to play them and may cut them short (``hangup_call``).
"""

from __future__ import annotations

import random

from adapters.pbx.simulator.legs import Leg, Step, blf, bridge, new_uuid
from adapters.pbx.simulator.roster import Extension


def _endpoint(num: str, domain: str, is_ext: bool) -> str:
    return f"{num}@{domain}" if is_ext else num


def click_to_call(
    frm: str, to: str, *, uuid: str, rng: random.Random, t0_ms: int, domain: str, trunk: str,
    from_is_ext: bool, to_is_ext: bool, shown_number: str = "", shown_name: str = "",
    ring_s: float = 2.0, talk_s: float = 20.0,
) -> list[Step]:
    """``make_call``: ring ``frm`` first (leg ``uuid``), then call ``to`` and bridge them."""
    u = Leg(uuid, "outbound", t0_ms, _endpoint(frm, domain, from_is_ext), domain,
            shown_number or to, shown_name or shown_number or to, frm, "" if from_is_ext else trunk)
    steps = [Step(0.0, "channel_create", u.create())]
    if from_is_ext:
        steps.append(Step(0.01, "blf", blf(frm, "ringing", uuid, to, t0_ms, inbound=False)))
    t = ring_s
    ms = t0_ms + round(t * 1000)
    v = Leg(new_uuid(rng), "outbound", ms, _endpoint(to, domain, to_is_ext), domain,
            frm if from_is_ext else trunk, frm, to, "" if to_is_ext else trunk)
    steps += [Step(t, "channel_answer", u.answer(ms)), Step(t + 0.02, "channel_create", v.create())]
    if to_is_ext:
        steps.append(Step(t + 0.03, "blf", blf(to, "ringing", v.uuid, frm, ms)))
    t2 = t + ring_s
    ms2 = t0_ms + round(t2 * 1000)
    steps += [Step(t2, "channel_answer", v.answer(ms2)),
              Step(t2 + 0.01, "channel_bridge", bridge(uuid, v.uuid, "outbound"))]
    a_ext, b_ext = (frm if from_is_ext else ""), (to if to_is_ext else "")
    steps += _lamps(a_ext, b_ext, "answered", (uuid, v.uuid), frm, to, ms2, t2 + 0.02)
    end = t2 + talk_s
    steps += [Step(end, "channel_destroy", v.destroy("NORMAL_CLEARING")),
              Step(end + 0.01, "channel_destroy", u.destroy("NORMAL_CLEARING"))]
    steps += _lamps(a_ext, b_ext, "hangup", (uuid, v.uuid), frm, to, t0_ms + round(end * 1000), end + 0.02)
    return steps


def _lamps(a_ext: str, b_ext: str, status: str, uuids: tuple[str, str], frm: str, to: str,
           ms: int, at: float) -> list[Step]:
    out = []
    if a_ext:
        out.append(Step(at, "blf", blf(a_ext, status, uuids[0], to, ms, inbound=False)))
    if b_ext:
        out.append(Step(at, "blf", blf(b_ext, status, uuids[1], frm, ms)))
    return out


def new_leg(
    caller: Leg | None, to: str, *, leg_uuid: str, t0_ms: int, domain: str, trunk: str, to_is_ext: bool,
    caller_number: str, ring_s: float = 1.0,
) -> tuple[Leg, list[Step]]:
    """A fresh outbound leg to ``to`` that rings and answers (transfer target, eavesdropper)."""
    leg = Leg(leg_uuid, "outbound", t0_ms, _endpoint(to, domain, to_is_ext), domain, caller_number,
              caller.caller_name if caller else caller_number, to, "" if to_is_ext else trunk)
    steps = [Step(0.0, "channel_create", leg.create())]
    if to_is_ext:
        steps.append(Step(0.01, "blf", blf(to, "ringing", leg_uuid, caller_number, t0_ms)))
    ms = t0_ms + round(ring_s * 1000)
    steps.append(Step(ring_s, "channel_answer", leg.answer(ms)))
    if to_is_ext:
        steps.append(Step(ring_s + 0.01, "blf", blf(to, "answered", leg_uuid, caller_number, ms)))
    return leg, steps


def registration_events(ext: Extension, expires: int, *, first: bool = True) -> list[Step]:
    """``pre_register`` -> ``register_attempt`` -> ``register``; a refresh is one ``register``."""
    def reg(state: str) -> dict[str, object]:
        return {"uid": ext.num, "agent": ext.agent, "state": state, "ip": ext.ip, "port": ext.port,
                "expires": expires}

    if not first:
        return [Step(0.0, "registration", reg("register"))]
    states = ("pre_register", "register_attempt", "register")
    return [Step(i * 0.05, "registration", reg(state)) for i, state in enumerate(states)]
