"""The simulator's onlinePBX HTTP API: ``auth.json``, ``mongo_history/search.json``,
``user/get.json``, ``trunks/get.json``, ``call/now.json`` under ``/{domain}/``.

Strategy: routes on the simulator's own aiohttp app (same process, same port); session keys expire
after ``session_ttl_s``; the history window (7 days) and page limit are enforced like the real API.
Faults are queued one-shot with :meth:`SimHttpApi.inject` ("isNotAuth", "429", "500", "slow",
"malformed", and the hostile answers of :mod:`.hostile`); ``down`` answers 503 to everything until
cleared.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from adapters.pbx.simulator import hostile
from adapters.pbx.simulator.engine import Engine
from adapters.pbx.simulator.history import HistoryRecorder

MAX_WINDOW_S = 7 * 86400
FAULTS = ("isNotAuth", "429", "500", "slow", *hostile.RECORD_FAULTS, *hostile.PAGE_FAULTS)
MALFORMED = hostile.RECORD_FAULTS["malformed"]


def _fail(code: str, comment: str, **extra: Any) -> web.Response:
    return web.json_response({"status": "0", "errorCode": code, "comment": comment, **extra})


def _ok(data: Any) -> web.Response:
    return web.json_response({"status": "1", "data": data})


class SimHttpApi:
    """The HTTP API of one simulated domain (see module docstring)."""

    def __init__(
        self,
        domain: str,
        key: str,
        engine: Engine,
        history: HistoryRecorder,
        *,
        session_ttl_s: float = 3600.0,
        page_limit: int = 1000,
        slow_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.domain, self._key, self.engine, self.history = domain, key, engine, history
        self.session_ttl_s, self.page_limit, self.slow_s = session_ttl_s, page_limit, slow_s
        self._clock = clock
        self._sessions: dict[str, tuple[str, float]] = {}  # key_id -> (key, expires at)
        self.faults: deque[str] = deque()
        self.down = False
        self.requests: list[str] = []  # endpoint names, in order (for tests)
        self.logins = 0
        self.elsewhere = "http://127.0.0.1:9"  # where the "redirect" fault points
        self.hostile_bytes_sent = 0  # of the "huge" answers, before the client hung up

    def add_routes(self, app: web.Application) -> None:
        for name, handler in (
            ("auth.json", self._auth),
            ("mongo_history/search.json", self._search),
            ("user/get.json", self._users),
            ("trunks/get.json", self._trunks),
            ("call/now.json", self._call_now),
        ):
            app.router.add_post(f"/{{domain}}/{name}", self._guard(name, handler))

    def inject(self, fault: str, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests (one each)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
        self.faults.extend([fault] * times)

    def expire_sessions(self) -> None:
        """Every session key expires now (the next call gets ``isNotAuth``)."""
        self._sessions = {k: (v, 0.0) for k, (v, _) in self._sessions.items()}

    def _guard(self, name: str, handler: Callable[..., Any]) -> Callable[[web.Request], Any]:
        async def run(request: web.Request) -> web.StreamResponse:
            self.requests.append(name)
            if self.down:
                return web.Response(status=503, text="service unavailable")
            if request.match_info["domain"] != self.domain:
                return _fail("WRONG_DOMAIN", "unknown domain")
            form = dict(await request.post())
            spared = name == "auth.json" and self.faults and self.faults[0] != "redirect"
            fault = self.faults.popleft() if self.faults and not spared else ""
            if fault == "slow":
                await asyncio.sleep(self.slow_s)
            if fault == "429":
                return web.json_response({"status": "0", "errorCode": "TOO_MANY_REQUESTS"}, status=429)
            if fault == "500":
                return web.Response(status=500, text="internal error")
            if name != "auth.json" and (fault == "isNotAuth" or not self._authorized(request)):
                return _fail("WRONG_AUTH_DATA", "session key expired", isNotAuth=True)
            if fault in hostile.PAGE_FAULTS:
                return await hostile.page_fault(fault, request, self.elsewhere, self._count_sent)
            if fault in hostile.RECORD_FAULTS and name == "mongo_history/search.json":
                return await self._search(form, fault)
            result: web.StreamResponse = await handler(form)
            return result

        return run

    def _count_sent(self, sent: int) -> None:
        self.hostile_bytes_sent += sent

    def _authorized(self, request: web.Request) -> bool:
        key_id, _, key = request.headers.get("x-pbx-authentication", "").partition(":")
        known = self._sessions.get(key_id)
        return known is not None and secrets.compare_digest(known[0], key) and known[1] > self._clock()

    async def _auth(self, form: dict[str, Any]) -> web.Response:
        if not form.get("auth_key"):
            return _fail("API_KEY_NOT_SPECIFIED", "auth_key is required")
        if not secrets.compare_digest(str(form["auth_key"]), self._key):
            return _fail("WRONG_API_KEY", "wrong key")
        key_id, key = secrets.token_hex(8), secrets.token_hex(16)
        self._sessions[key_id] = (key, self._clock() + self.session_ttl_s)
        self.logins += 1
        return _ok({"key_id": key_id, "key": key, "new": 1})

    async def _search(self, form: dict[str, Any], fault: str = "") -> web.Response:
        try:
            lo, hi = int(form["start_stamp_from"]), int(form["start_stamp_to"])
            limit = int(form.get("limit") or self.page_limit)
        except (KeyError, ValueError):
            return _fail("VALIDATION_FAILED", "start_stamp_from and start_stamp_to are required")
        if hi - lo > MAX_WINDOW_S or hi < lo:
            return _fail("VALIDATION_FAILED", "the period must be at most 7 days")
        limit = max(1, min(limit, self.page_limit))
        bad = len(hostile.RECORD_FAULTS.get(fault, [None]))  # bad records take a page's slots
        if fault:
            return hostile.record_fault(fault, self.history.search(lo, hi)[: max(0, limit - bad)])
        return _ok(self.history.search(lo, hi)[:limit])

    async def _users(self, form: dict[str, Any]) -> web.Response:
        return _ok([{"num": e.num, "name": e.name, "enabled": True} for e in self.engine.roster.extensions])

    async def _trunks(self, form: dict[str, Any]) -> web.Response:
        return _ok([{"number": t.num, "description": t.desc} for t in self.engine.roster.trunks])

    async def _call_now(self, form: dict[str, Any]) -> web.Response:
        frm, to = str(form.get("from", "")), str(form.get("to", ""))
        if not frm or not to:
            return _fail("VALIDATION_FAILED", "from and to are required")
        uuid = self.engine.make_call(
            frm,
            to,
            shown_number=str(form.get("from_orig_number", "")),
            shown_name=str(form.get("from_orig_name", "")),
            gate=str(form.get("gate_from", "")),
        )
        return _ok({"uuid": uuid})
