"""HttpPbx: the onlinePBX HTTP API client (aiohttp): call history, users, trunks, click-to-call.

Strategy: one ``_call(endpoint, form)`` does the key exchange (``auth.json`` -> ``KEY_ID:KEY``),
re-authenticates once on ``isNotAuth``/401/403, backs off on 429/``TOO_MANY_REQUESTS`` and retries
5xx/timeouts, then raises a typed error (:mod:`.errors`); :mod:`.wire` decides, this only does I/O.
The key, the session key and the header go only into the request body/header, never a log or error.
Hostile answers cost only themselves: a redirect is never followed (:class:`HttpRedirected`), an
answer over ``max_bytes`` is refused before it is read whole (:class:`HttpTooLarge`), and one that
is not JSON at all is :class:`HttpBadAnswer`; the caller asks again later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from adapters.pbx.combined import Unsupported
from adapters.pbx.http import wire
from adapters.pbx.http.errors import (
    HttpAuthError,
    HttpBadAnswer,
    HttpRateLimited,
    HttpRedirected,
    HttpServerError,
    HttpTooLarge,
    HttpUnavailable,
)  # fmt: skip
from bot.backoff import Backoff
from bot.domain import HistoryRecord, SipUser, Trunk
from bot.errors import InvalidArgument

logger = logging.getLogger(__name__)
DEFAULT_URL = "https://api2.onlinepbx.ru"
DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # ONPBX_HTTP_MAX_MB
_CHUNK = 64 * 1024


async def read_capped(endpoint: str, resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, refused (:class:`HttpTooLarge`) as soon as it is known to pass ``max_bytes``."""
    declared = resp.content_length
    if declared is not None and declared > max_bytes:
        raise HttpTooLarge(endpoint, f"HTTP {resp.status}",
                           f"the answer is {declared} bytes, over {max_bytes}")
    body = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise HttpTooLarge(endpoint, f"HTTP {resp.status}", f"the answer is over {max_bytes} bytes")
    return bytes(body)


class HttpPbx(Unsupported):
    """``bot.ports.CallHistory`` plus the PBX commands HTTP offers (``capabilities``).

    ``base_url``: e.g. ``https://api2.onlinepbx.ru`` (requests go to ``{base_url}/{domain}/...``);
    ``key``: the panel API key (``ONPBX_KEY``); ``session``: an aiohttp session to share (else one
    is made and closed by :meth:`close`); ``timeout``: seconds per request; ``attempts``: tries per
    call for 5xx, timeouts and 429 (re-authentication happens once more on top);
    ``page_limit``: the ``limit`` asked of the history (a full page means "read on");
    ``max_bytes``: the largest answer read (``ONPBX_HTTP_MAX_MB``).
    """

    capabilities = frozenset({"make_call", "user_list", "trunk_list"})
    api_name = "HTTP"

    def __init__(
        self,
        base_url: str,
        domain: str,
        key: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        attempts: int = 4,
        backoff: Backoff | None = None,
        page_limit: int = 1000,
        sleep: Callable[[float], Any] = asyncio.sleep,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._max_bytes = max_bytes
        self._base = f"{(base_url or DEFAULT_URL).rstrip('/')}/{domain}"
        self._key, self._session, self._own_session = key, session, session is None
        self._timeout, self._attempts, self._page_limit = timeout, max(1, attempts), page_limit
        self._backoff = backoff or Backoff(base=0.5, cap=30.0)
        self._sleep = sleep
        self._auth: str | None = None
        self.logins = 0  # successful auth.json exchanges
        self.malformed_records = 0  # history records skipped as malformed, ever
        self.requests = 0

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    # --- transport ---------------------------------------------------------------------------
    async def _post(self, endpoint: str, form: dict[str, str], header: str | None) -> wire.Answer:
        headers = {"x-pbx-authentication": header} if header else {}
        self.requests += 1
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        async with self._http().post(
            f"{self._base}/{endpoint}", data=form, headers=headers, timeout=timeout, allow_redirects=False
        ) as resp:
            if 300 <= resp.status < 400:  # following it would send the key and session elsewhere
                raise HttpRedirected(endpoint, f"HTTP {resp.status}", "redirects are not followed")
            body = wire.decode_body(await read_capped(endpoint, resp, self._max_bytes))
            return wire.check_answer(endpoint, resp.status, body)

    async def _try(self, endpoint: str, form: dict[str, str], header: str | None) -> wire.Answer:
        """One call with retries for 5xx/timeouts and back-off for 429 (not for re-auth)."""
        backoff = Backoff(self._backoff.base, self._backoff.factor, self._backoff.cap, rng=self._backoff.rng)
        unreachable = False
        for attempt in range(1, self._attempts + 1):
            try:
                answer, unreachable = await self._post(endpoint, form, header), False
            except (aiohttp.ClientError, TimeoutError) as exc:
                answer, unreachable = wire.Answer("retry", code=type(exc).__name__), True
            if answer.verdict in ("ok", "reauth"):
                return answer
            if attempt < self._attempts:
                delay = backoff.next_delay()
                logger.warning(
                    "PBX HTTP API %s: %s, try %d/%d in %.1f s",
                    endpoint,
                    answer.code,
                    attempt + 1,
                    self._attempts,
                    delay,
                )
                await self._sleep(delay)
        if answer.verdict == "backoff":
            raise HttpRateLimited(endpoint, answer.code, "still rate limited after backing off")
        if unreachable:
            raise HttpUnavailable(f"PBX HTTP API {endpoint}: not reachable after {self._attempts} tries")
        raise HttpServerError(endpoint, answer.code, f"still failing after {self._attempts} tries")

    async def login(self) -> None:
        """The key exchange (``auth.json``); raises :class:`HttpAuthError` when refused."""
        answer = await self._try("auth.json", {"auth_key": self._key, "new": "true"}, None)
        if answer.verdict != "ok":
            raise HttpAuthError("auth.json", answer.code, "the key was refused")
        self._auth = wire.session_header(answer.data)
        self.logins += 1

    async def _call(self, endpoint: str, form: dict[str, str]) -> Any:
        """POST ``endpoint`` with the session header; re-authenticates once when it expired."""
        if self._auth is None:
            await self.login()
        answer = await self._try(endpoint, form, self._auth)
        if answer.verdict == "reauth":
            logger.info("PBX HTTP API session expired (%s); logging in again", answer.code)
            await self.login()
            answer = await self._try(endpoint, form, self._auth)
            if answer.verdict == "reauth":
                raise HttpAuthError(endpoint, answer.code, "refused right after a fresh login")
        return answer.data

    # --- CallHistory -------------------------------------------------------------------------
    async def search(self, start_s: int, end_s: int) -> list[HistoryRecord]:
        """Every call that started in ``[start_s, end_s)``, oldest first (7-day windows, pages;
        a full page is read on from its last start second, duplicates dropped by uuid)."""
        seen: dict[str, HistoryRecord] = {}
        for lo, hi in wire.windows(start_s, end_s):
            await self._window(lo, hi, seen)
        return sorted(seen.values(), key=lambda r: (r.start_s, r.uuid))

    async def _window(self, lo: int, hi: int, seen: dict[str, HistoryRecord]) -> None:
        while lo < hi:
            form = {
                "start_stamp_from": str(lo),
                "start_stamp_to": str(hi - 1),
                "limit": str(self._page_limit),
            }
            records, bad = wire.history_page(await self._call("mongo_history/search.json", form))
            self.malformed_records += bad
            new = [r for r in records if r.uuid not in seen and lo <= r.start_s < hi]
            seen.update((r.uuid, r) for r in new)
            if len(records) + bad < self._page_limit:
                return
            last = max((r.start_s for r in records), default=lo)
            if new and last > lo:
                lo = last  # read on from the page's last second (its records are deduplicated)
            else:  # the contract has no offset: a second with more calls than a page is cut short
                logger.warning(
                    "call history: more than %d calls started at %d; the rest are skipped",
                    self._page_limit,
                    last,
                )
                lo = max(lo, last) + 1

    # --- commands ----------------------------------------------------------------------------
    async def make_call(
        self,
        from_: str,
        to: str,
        *,
        from_orig_number: str | None = None,
        from_orig_name: str | None = None,
        domain_to: str | None = None,
        from_name: str | None = None,
        gate_from: str | None = None,
        gate_to: str | None = None,
    ) -> str:
        """``call/now.json``: rings ``from_`` first, then connects ``to``; returns the uuid."""
        if not from_.strip() or not to.strip():
            raise InvalidArgument("args.missing", usage="/call FROM TO")
        form = {"from": from_, "to": to}
        extra = {
            "from_orig_number": from_orig_number,
            "from_orig_name": from_orig_name or from_name,
            "to_domain": domain_to,
            "gate_from": gate_from,
            "gate_to": gate_to,
        }
        form.update({k: v for k, v in extra.items() if v})
        data = await self._call("call/now.json", form)
        uuid = data.get("uuid") if isinstance(data, dict) else data
        if not isinstance(uuid, str) or not uuid:
            raise HttpBadAnswer("call/now.json", "no uuid", "the answer has no call uuid")
        return uuid

    async def user_list(self) -> list[SipUser]:
        """``user/get.json``: every extension with its name (no registration data over HTTP)."""
        return wire.users(await self._call("user/get.json", {}))

    async def trunk_list(self) -> list[Trunk]:
        return wire.trunks(await self._call("trunks/get.json", {}))
