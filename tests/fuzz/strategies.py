"""Hypothesis strategies shared by the fuzz tests: nasty text, JSON values, PBX event payloads.

Strategy: mostly-plausible inputs (real event names and field names, odd values) find more bugs
than pure noise, so every strategy mixes the contract's shapes with hostile values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from bot import events as ev

EVENT_NAMES = ("channel_create", "channel_answer", "channel_bridge", "channel_destroy",
               "channel_application", "blf", "registration", "message", "callback", "weird_event")
FIELDS = ("uuid", "direction", "created_stamp", "answered_stamp", "state", "endpoint", "domain",
          "caller_number", "caller_name", "destination_number", "gate", "hangup_cause", "aleg_uuid",
          "bleg_uuid", "uid", "status", "rank", "other_leg", "timestamp", "agent", "ip", "port",
          "expires", "application", "application_data", "data", "hash")

nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "\u202e", "201", "79161234567", "+7 (916) 123-45-67",
                     "<b>x</b>", "'; DROP TABLE chats; --", "$(id)", "NaN", "-1", "1e309",
                     "☎️" * 5, "a" * 5000, "\r\n\t", "@everyone", "*" * 50]),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=20),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                         nasty_text)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(nasty_text, inner, max_size=3), max_leaves=8)


@st.composite
def payloads(draw: st.DrawFn) -> Any:
    """A payload shaped like an event (known field names, hostile values) or just anything."""
    if draw(st.integers(0, 4)) == 0:
        return draw(json_values)
    keys = draw(st.lists(st.sampled_from(FIELDS), max_size=len(FIELDS), unique=True))
    return {k: draw(st.one_of(json_scalars, st.sampled_from(["u1", "u2", "201", "inbound", "outbound"])))
            for k in keys}


events = st.tuples(st.sampled_from(EVENT_NAMES), payloads())


# --- typed events: what the parser may legally hand the core, with odd values ---------------

_uuids = st.sampled_from(["u1", "u2", "u3", "", " ", "u1-b", "a" * 300])  # a small pool: reuse
_exts = st.sampled_from(["201", "202", "", "201@rig.onpbx.ru", "79161234567", "\x00", "a" * 300])
_texts = st.one_of(st.sampled_from(["", "inbound", "outbound", "internal", "INBOUND", " "]), nasty_text)
#: *_stamp in ms and blf.timestamp in s: absent, zero, negative, far past/future, beyond int64
stamps = st.one_of(st.none(), st.sampled_from([0, -1, 1, 1_780_000_000_000, 1_780_000_000,
                                               -(10**15), 10**15, 2**63, -(2**63), 10**30, -(10**30)]),
                   st.integers())
_causes = st.one_of(st.sampled_from(["", "NORMAL_CLEARING", "ORIGINATOR_CANCEL", "NO_ANSWER",
                                     "USER_BUSY", "normal_clearing"]), nasty_text)
_blf_status = st.sampled_from(["ringing", "answered", "hangup", "unregistered", "UNREGISTERED",
                               " unregistered ", "", "early", "confirmed"])
_reg_state = st.sampled_from(["pre_register", "register_attempt", "register", "unregister", "", "x"])
_small = st.one_of(st.none(), st.sampled_from([0, -1, 1, 60, 3600, 2**31, 10**30, -(10**30)]))

typed_events = st.one_of(
    st.builds(ev.ChannelCreate, _uuids, _texts, stamps, _texts, _exts, _texts, _exts, nasty_text,
              _exts, _texts, _exts, _exts),
    st.builds(ev.ChannelAnswer, _uuids, stamps),
    st.builds(ev.ChannelBridge, _uuids, _uuids, _texts),
    st.builds(ev.ChannelDestroy, _uuids, _texts, stamps, _texts, _exts, _causes),
    st.builds(ev.ChannelApplication, _uuids, _texts, json_values),
    st.builds(ev.ChannelHold, _uuids),
    st.builds(ev.ChannelUnhold, _uuids),
    st.builds(ev.Blf, _exts, _blf_status, _texts, _texts, _exts, _uuids, stamps),
    st.builds(ev.Registration, _exts, _reg_state, nasty_text, _texts, _small, _small),
    st.builds(ev.RawEvent, nasty_text, json_values),
)
