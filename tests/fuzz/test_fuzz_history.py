"""Fuzz (issue 19): HTTP history answers as the client reads them. Bytes never make the body
decoder raise; an answer's classification raises only the project's errors; a page raises only
:class:`HttpBadAnswer`, a record only :class:`MalformedRecord`; and every record that gets through
is one the rest of the bot can store and show (stamps are dates, durations are not absurd)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.pbx.http import wire
from adapters.pbx.http.errors import HttpBadAnswer, MalformedRecord
from bot.errors import BotError
from tests.fuzz.strategies import json_values, nasty_text

KEYS = ("uuid", "caller_id_number", "caller_id_name", "destination_number", "start_stamp", "end_stamp",
        "duration", "user_talk_time", "hangup_cause", "accountcode", "gateway", "events")
numbers = st.one_of(
    st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1e400", "-1e400", "nan", "inf", "1700000000", "1.7e9", "9" * 5000, "0x10", " 12 ",
                     10**20, -(10**20), 2**63, 1e308]),
)
values = st.one_of(numbers, nasty_text, json_values)
users = st.fixed_dictionaries({"type": st.sampled_from(["user", "gateway", 1, None])},
                              optional={"number": values, "answered_stamp": values})
records = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(KEYS), values, max_size=len(KEYS)),
    st.fixed_dictionaries({"uuid": st.text(min_size=1, max_size=8), "start_stamp": numbers},
                          optional={"events": st.one_of(st.lists(users, max_size=3), values),
                                    "user_talk_time": values, "end_stamp": values, "duration": values}),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=6))
def test_a_page_raises_only_bad_answer_and_keeps_what_it_can_store(data: list[Any]) -> None:
    good, bad = wire.history_page(data)
    assert len(good) + bad == len(data)
    for r in good:
        assert 0 <= r.start_s <= wire.STAMP_MAX_S and 0 <= r.end_s <= wire.STAMP_MAX_S
        assert 0 <= r.talk_s <= wire.SPAN_MAX_S and 0 <= r.duration_s <= wire.SPAN_MAX_S
        assert all(isinstance(e, str) for e in r.extensions)


@settings(max_examples=300, deadline=None)
@given(st.one_of(records, values))
def test_a_record_raises_only_malformed_record(raw: Any) -> None:
    try:
        wire.history_record(raw)
    except MalformedRecord:
        pass


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_data_that_is_no_list_is_a_bad_answer(data: Any) -> None:
    try:
        wire.history_page(data)
    except HttpBadAnswer:
        assert not isinstance(data, list)


bodies = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.builds(lambda n: ("[" * n + "]" * n).encode(), st.integers(0, 50_000)),
    st.builds(lambda n, d: ('{"status": "1", "data": ' + "[" * n + "1" * d + "]" * n + "}").encode(),
              st.integers(0, 3000), st.integers(1, 6000)),
    st.sampled_from([b'{"status": "1", "data": [{"start_stamp": 1e400}]}', b"\xff\xfe", b"NaN", b""]),
)


@settings(max_examples=300, deadline=None)
@given(bodies, st.sampled_from([200, 200, 301, 401, 403, 429, 500, 503]))
def test_any_body_decodes_or_is_none_and_classifies_with_bot_errors_only(raw: bytes, status: int) -> None:
    body = wire.decode_body(raw)  # never raises
    try:
        answer = wire.check_answer("mongo_history/search.json", status, body)
    except BotError:
        return
    if answer.verdict == "ok":
        try:
            wire.history_page(answer.data)
        except HttpBadAnswer:
            pass
