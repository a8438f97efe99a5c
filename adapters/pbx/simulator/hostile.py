"""Hostile answers of the simulator's HTTP API: what a broken or malicious server may send.

Strategy: record faults add bad records in front of the real ones on a history page (each must
cost only itself); page faults replace the whole answer (a number no float holds, nesting deeper
than any parser recurses, a 200 MB body streamed without a length, a redirect to another origin):
each must cost only that page, which the client asks for again later. Used by
:meth:`adapters.pbx.simulator.http_api.SimHttpApi.inject`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

#: fault -> bad records put in front of the page's real ones
RECORD_FAULTS: dict[str, list[Any]] = {
    "malformed": [{"uuid": "", "start_stamp": "soon"}, "not a record", {"uuid": "x1", "start_stamp": None}],
    "huge_string": [{"uuid": "hs1", "start_stamp": "1e400", "user_talk_time": 0, "accountcode": "inbound"},
                    {"uuid": "hs2", "start_stamp": 1, "end_stamp": "1e400", "user_talk_time": "9" * 5000}],
    "huge_stamp": [{"uuid": "hs3", "start_stamp": 10**20, "user_talk_time": 0, "accountcode": "inbound",
                    "caller_id_number": "79160000000"}],
    "wrong_types": [{"uuid": {"a": 1}, "start_stamp": 1}, {"uuid": "wt1", "start_stamp": [1]},
                    {"uuid": "wt2", "start_stamp": 1, "events": 5, "user_talk_time": True},
                    {"uuid": "wt3", "start_stamp": 1.5e9, "events": "abc", "caller_id_number": ["x"],
                     "user_talk_time": {"x": 1}}, 17, None, [[]]],
}  # fmt: skip
#: a JSON number literal (not text) that no float holds: ``1e400`` parses as infinity
HUGE_NUMBER = '{"uuid": "hn1", "start_stamp": 1e400, "user_talk_time": 0, "accountcode": "inbound"}'
RECORD_FAULTS["huge_number"] = [None]  # one slot; the record itself is written as raw text
PAGE_FAULTS = ("deep", "huge", "redirect", "not_json")
DEEP_LEVELS = 100_000
HUGE_MB = 200


def record_fault(fault: str, real: list[dict[str, Any]]) -> web.Response:
    """A page with the fault's bad records, then the real ones (``huge_number``: raw JSON text)."""
    if fault == "huge_number":
        body = '{"status": "1", "data": [' + ", ".join([HUGE_NUMBER, *map(json.dumps, real)]) + "]}"
        return web.Response(text=body, content_type="application/json")
    return web.json_response({"status": "1", "data": [*RECORD_FAULTS[fault], *real]})


async def page_fault(
    fault: str, request: web.Request, elsewhere: str, on_sent: Callable[[int], None]
) -> web.StreamResponse:
    """The whole answer replaced by the fault; ``elsewhere``: where a redirect points;
    ``on_sent``: told how many bytes of the huge answer went out before the client hung up."""
    if fault == "redirect":
        raise web.HTTPFound(location=elsewhere + request.path)
    if fault == "not_json":
        return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
    if fault == "deep":
        deep = '{"status": "1", "data": ' + "[" * DEEP_LEVELS + "]" * DEEP_LEVELS + "}"
        return web.Response(text=deep, content_type="application/json")
    if fault == "huge":
        return await _huge(request, on_sent)
    raise ValueError(f"unknown page fault {fault!r}")


async def _huge(request: web.Request, on_sent: Callable[[int], None]) -> web.StreamResponse:
    """200 MB of a JSON list, chunked (no Content-Length): a client must stop reading it itself."""
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    chunk = b'{"uuid": "big", "start_stamp": 1},' * (1 << 15)  # about 1 MB
    sent = 0
    try:
        await resp.write(b'{"status": "1", "data": [')
        while sent < HUGE_MB << 20:
            await resp.write(chunk)
            sent += len(chunk)
        await resp.write(b"{}]}")
        await resp.write_eof()
    except (ConnectionError, RuntimeError):  # the client hung up, as it should
        pass
    on_sent(sent)
    return resp
