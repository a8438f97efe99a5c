"""The onlinePBX HTTP API's answers, sans-I/O: status check, history records, users, trunks.

Strategy: :func:`check_answer` turns (HTTP status, decoded JSON) into the ``data`` or a verdict the
client acts on (re-auth, back off, retry, typed error); record parsing is tolerant (numbers as
strings, missing optional fields) and skips a malformed record, counting it, never the batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from adapters.pbx.http.errors import HttpBadAnswer, error_for
from bot.domain import HistoryRecord, SipUser, Trunk

logger = logging.getLogger(__name__)
#: the API's largest history window (declared by four independent clients)
MAX_WINDOW_S = 7 * 86400
Verdict = Literal["ok", "reauth", "backoff", "retry"]


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


def _int(raw: Any, name: str, default: int | None = None) -> int:
    if raw is None or raw == "":
        if default is None:
            raise ValueError(f"{name} missing")
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"{name} is {type(raw).__name__}")
    return int(float(raw))


def _str(raw: Any) -> str:
    return "" if raw is None or isinstance(raw, dict | list) else str(raw)


def history_record(raw: Any) -> HistoryRecord:
    """One record of ``mongo_history/search.json``; ValueError when it is malformed."""
    if not isinstance(raw, dict):
        raise ValueError(f"record is {type(raw).__name__}")
    uuid = _str(raw.get("uuid"))
    if not uuid:
        raise ValueError("uuid missing")
    users = [e for e in raw.get("events") or [] if isinstance(e, dict) and e.get("type") == "user"]
    numbers = [_str(u.get("number")) for u in users if isinstance(u.get("number"), str | int)]
    answered = next((_str(u.get("number")) for u in users if u.get("answered_stamp")), "")
    start = _int(raw.get("start_stamp"), "start_stamp")
    return HistoryRecord(
        uuid=uuid, caller_number=_str(raw.get("caller_id_number")),
        direction=_str(raw.get("accountcode")), start_s=start,
        end_s=_int(raw.get("end_stamp"), "end_stamp", start), caller_name=_str(raw.get("caller_id_name")),
        destination=_str(raw.get("destination_number")),
        talk_s=_int(raw.get("user_talk_time"), "user_talk_time"),
        duration_s=_int(raw.get("duration"), "duration", 0), hangup_cause=_str(raw.get("hangup_cause")),
        gateway=_str(raw.get("gateway")), extensions=tuple(dict.fromkeys(n for n in numbers if n)),
        answered_by=answered,
    )  # fmt: skip


def history_page(data: Any) -> tuple[list[HistoryRecord], int]:
    """Parse a page of records: (good records, malformed count); one log line per bad record."""
    if not isinstance(data, list):
        raise HttpBadAnswer("mongo_history/search.json", "not a list", "data is not a list of records")
    good, bad = [], 0
    for raw in data:
        try:
            good.append(history_record(raw))
        except (ValueError, TypeError) as exc:
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
