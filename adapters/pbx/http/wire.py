"""The onlinePBX HTTP API's answers, sans-I/O: status check, history records, users, trunks.

Strategy: :func:`decode_body` turns the answer's bytes into JSON or None (never an exception:
deep nesting, huge numbers and bad UTF-8 are "undecodable"); :func:`check_answer` turns (HTTP
status, JSON) into the ``data`` or a verdict the client acts on (re-auth, back off, retry, typed
error). Record parsing is tolerant (numbers as strings, missing optional fields) and skips a
malformed record (wrong types, numbers no date or duration can be), counting it, never the page.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any, Literal

from adapters.pbx.http.errors import HttpBadAnswer, MalformedRecord, error_for
from bot.domain import HistoryRecord, SipUser, Trunk

logger = logging.getLogger(__name__)
#: the API's largest history window (declared by four independent clients)
MAX_WINDOW_S = 7 * 86400
Verdict = Literal["ok", "reauth", "backoff", "retry"]
#: a history stamp (UNIX seconds) past 9999-12-31 is no date; a duration past ~31 years no call's
STAMP_MAX_S = 253_402_300_799
SPAN_MAX_S = 1_000_000_000
_INT_DIGITS = 30  # longer integer literals are read as floats (no 4300-digit int parsing)


def _int_literal(text: str) -> int | float:
    return int(text) if len(text) <= _INT_DIGITS else float(text)


def decode_body(raw: bytes) -> Any:
    """The answer's JSON, or None when it is not JSON at all (bad UTF-8, too deeply nested)."""
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_int_literal)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None


@dataclass(frozen=True, slots=True)
class Answer:
    """What to do with one HTTP answer: ``ok`` (``data`` holds the payload), ``reauth`` (session
    key expired), ``backoff`` (rate limited), ``retry`` (server trouble)."""

    verdict: Verdict
    data: Any = None
    code: str = ""
    comment: str = ""


def check_answer(endpoint: str, status: int, body: Any) -> Answer:
    """Classify one answer; raises the typed error for a final refusal."""
    if status in (401, 403):
        return Answer("reauth", code=f"HTTP {status}")
    if status == 429:
        return Answer("backoff", code="HTTP 429")
    if status >= 500:
        return Answer("retry", code=f"HTTP {status}")
    if not isinstance(body, dict):
        raise HttpBadAnswer(endpoint, f"HTTP {status}", "the answer is not a JSON object")
    if str(body.get("status", "")) == "1":
        return Answer("ok", body.get("data"))
    code, comment = str(body.get("errorCode") or ""), str(body.get("comment") or "")
    if body.get("isNotAuth"):
        return Answer("reauth", code=code or "isNotAuth", comment=comment)
    if code == "TOO_MANY_REQUESTS":
        return Answer("backoff", code=code, comment=comment)
    if code == "INTERNAL":
        return Answer("retry", code=code, comment=comment)
    raise error_for(endpoint, code, comment)


def session_header(data: Any) -> str:
    """``KEY_ID:KEY`` from ``auth.json``'s data (the value of ``x-pbx-authentication``)."""
    if not isinstance(data, dict) or not data.get("key_id") or not data.get("key"):
        raise HttpBadAnswer("auth.json", "no key", "the answer has no key_id/key")
    return f"{data['key_id']}:{data['key']}"


def windows(start_s: int, end_s: int, span_s: int = MAX_WINDOW_S) -> list[tuple[int, int]]:
    """``[start_s, end_s)`` cut into consecutive windows of at most ``span_s`` seconds."""
    out, at = [], start_s
    while at < end_s:
        out.append((at, min(at + span_s, end_s)))
        at += span_s
    return out


def _int(raw: Any, name: str, default: int | None = None, high: int = SPAN_MAX_S) -> int:
    """A whole number in ``[0, high]`` from a number or its text; ValueError for anything else."""
    if raw is None or raw == "":
        if default is None:
            raise ValueError(f"{name} missing")
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"{name} is {type(raw).__name__}")
    if isinstance(raw, str) and len(raw) > _INT_DIGITS:
        raise ValueError(f"{name} is {len(raw)} characters long")
    value = raw if isinstance(raw, int) else float(raw)
    if not (isinstance(value, int) or math.isfinite(value)) or not 0 <= value <= high:
        raise ValueError(f"{name} out of range: {str(raw)[:24]!r}")
    return int(value)


def _str(raw: Any) -> str:
    return "" if raw is None or isinstance(raw, dict | list) else str(raw)


def _events(raw: Any) -> list[dict[str, Any]]:
    """The record's ``user`` events (a list of objects; anything else counts as none)."""
    events = raw.get("events")
    if not isinstance(events, list):
        return []
    return [e for e in events if isinstance(e, dict) and e.get("type") == "user"]


def _record(raw: Any) -> HistoryRecord:
    if not isinstance(raw, dict):
        raise ValueError(f"record is {type(raw).__name__}")
    uuid = _str(raw.get("uuid"))
    if not uuid:
        raise ValueError("uuid missing")
    users = _events(raw)
    numbers = [_str(u.get("number")) for u in users if isinstance(u.get("number"), str | int)]
    answered = next((_str(u.get("number")) for u in users if u.get("answered_stamp")), "")
    start = _int(raw.get("start_stamp"), "start_stamp", high=STAMP_MAX_S)
    return HistoryRecord(
        uuid=uuid, caller_number=_str(raw.get("caller_id_number")),
        direction=_str(raw.get("accountcode")), start_s=start,
        end_s=_int(raw.get("end_stamp"), "end_stamp", start, high=STAMP_MAX_S),
        caller_name=_str(raw.get("caller_id_name")), destination=_str(raw.get("destination_number")),
        talk_s=_int(raw.get("user_talk_time"), "user_talk_time"),
        duration_s=_int(raw.get("duration"), "duration", 0), hangup_cause=_str(raw.get("hangup_cause")),
        gateway=_str(raw.get("gateway")), extensions=tuple(dict.fromkeys(n for n in numbers if n)),
        answered_by=answered,
    )  # fmt: skip


def history_record(raw: Any) -> HistoryRecord:
    """One record of ``mongo_history/search.json``; :class:`MalformedRecord` (and nothing else)
    when it is malformed, whatever is wrong with it."""
    try:
        return _record(raw)
    except Exception as exc:  # any record at all must cost only itself
        raise MalformedRecord(f"{type(exc).__name__}: {str(exc)[:120]}") from None


def history_page(data: Any) -> tuple[list[HistoryRecord], int]:
    """Parse a page of records: (good records, malformed count); one log line per bad record."""
    if not isinstance(data, list):
        raise HttpBadAnswer("mongo_history/search.json", "not a list", "data is not a list of records")
    good, bad = [], 0
    for raw in data:
        try:
            good.append(history_record(raw))
        except MalformedRecord as exc:
            bad += 1
            logger.warning("skipped a malformed call-history record: %s", exc)
    return good, bad


def users(data: Any) -> list[SipUser]:
    """``user/get.json``: extensions with their names (disabled ones are kept)."""
    if not isinstance(data, list):
        raise HttpBadAnswer("user/get.json", "not a list", "data is not a list")
    return [
        SipUser(_str(u.get("num")), name=_str(u.get("name")))
        for u in data
        if isinstance(u, dict) and _str(u.get("num"))
    ]


def trunks(data: Any) -> list[Trunk]:
    """``trunks/get.json``: number and description (other fields are not declared)."""
    if not isinstance(data, list):
        raise HttpBadAnswer("trunks/get.json", "not a list", "data is not a list")
    return [
        Trunk(_str(t.get("number")), desc=_str(t.get("description")))
        for t in data
        if isinstance(t, dict) and _str(t.get("number"))
    ]
