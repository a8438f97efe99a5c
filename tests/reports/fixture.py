"""A hand-computed day of calls (Europe/Moscow, 15.11.2023) for the report tests.

Inbound (external) calls, local times:
  09:05 A answered by 201 after 10 s     09:20 B missed (201, 202), later called back (resolved)
  09:40 C answered by 202 after 30 s     10:10 D missed (202), unresolved
  10:15 E answered by 201 after 4 s      10:50 F answered by 202 after 50 s
  13:00 G missed (201), resolved by Done
plus an outgoing call (not inbound), an internal call, and a call of the previous day (outside).

By hand: inbound 7, answered 4 (57 %), missed 3 (resolved 2, unresolved 1); waits 4, 10, 30, 50
-> median 20 s, longest 50 s; busiest hour 09 (3 calls; 10 also has 3, earliest wins);
per extension (rang / answered / missed): 201: 4/2/2, 202: 4/2/2 (B rang both).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import CallRecord

MSK = ZoneInfo("Europe/Moscow")
DAY_END = datetime(2023, 11, 15, 23, 0, tzinfo=MSK).timestamp()  # "now" for the period


def at(hh: int, mm: int, day: int = 15) -> int:
    return int(datetime(2023, 11, day, hh, mm, tzinfo=MSK).timestamp() * 1000)


def inbound(
    cid: str, start: int, exts: tuple[str, ...], by: str = "", wait: float = 0.0, **kw: object
) -> CallRecord:
    verdict = "answered" if by else "missed"
    number = f"791600000{ord(cid) % 100:02d}"  # A -> 79160000065
    return CallRecord(cid, start, "in", number, "500", "+" + number, exts,
                      answered_by=by, verdict=verdict, ring_s=wait or 20.0, talk_s=60.0 if by else 0.0,
                      **kw)  # type: ignore[arg-type]


RECORDS = [
    inbound("A", at(9, 5), ("201",), "201", 10),
    inbound("B", at(9, 20), ("201", "202"), resolution="callback", resolved_by="201"),
    inbound("C", at(9, 40), ("202",), "202", 30),
    inbound("D", at(10, 10), ("202",)),
    inbound("E", at(10, 15), ("201",), "201", 4),
    inbound("F", at(10, 50), ("202",), "202", 50),
    inbound("G", at(13, 0), ("201",), resolution="done", resolved_by="Anna"),
    CallRecord("O", at(11, 0), "out", "201", "79160000009", "+79160000009", ("201",), "79160000009"),
    CallRecord("I", at(12, 0), "internal", "201", "202", "202", ("202",), verdict="missed"),
    inbound("Z", at(23, 30, day=14), ("201",)),
]
