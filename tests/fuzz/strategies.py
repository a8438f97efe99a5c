"""Hypothesis strategies shared by the fuzz tests: nasty text, JSON values, PBX event payloads.

Strategy: mostly-plausible inputs (real event names and field names, odd values) find more bugs
than pure noise, so every strategy mixes the contract's shapes with hostile values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

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
