"""The reconnect-forever loop both PBX socket clients (API 2.0 and 3.0) share.

Strategy: :meth:`Reconnecting.run` loops session -> backoff until :meth:`close`: a refused key
waits on the long ``auth_backoff`` with one ERROR line and no traceback; a dropped or failed link
waits on ``backoff`` (reset once a link outlived ``stable_after``); a bug in a session is logged
with its traceback and the link reconnects all the same. Subclasses open and serve one session in
``_session`` and tidy up in ``_down``; log lines go to the subclass's module logger.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp

from adapters.pbx.v2.transport import LinkClosed
from bot.backoff import Backoff
from bot.errors import AuthenticationError, HandshakeError, PbxTimeout, PbxUnavailable

T = TypeVar("T")

#: what ends a session as a plain network event (reconnect without a traceback)
DOWN_ERRORS = (LinkClosed, HandshakeError, aiohttp.ClientError, OSError, TimeoutError)


async def send_and_wait(name: str, sent: Awaitable[None], reply: asyncio.Future[T], within_s: float) -> T:
    """Send one command frame and wait for its reply, both clients' way: a failed send or a
    dropped link is :class:`PbxUnavailable`, no reply in ``within_s`` is :class:`PbxTimeout`."""
    try:
        await sent
        return await asyncio.wait_for(reply, within_s)
    except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
        raise PbxUnavailable(f"{name}: sending failed: {exc}") from None
    except TimeoutError:
        raise PbxTimeout(f"{name}: no reply within {within_s:g} s") from None
    except LinkClosed:
        raise PbxUnavailable(f"{name}: the link dropped before the reply") from None


class LinkState(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    AUTH_FAILED = "auth_failed"


class Reconnecting:
    """Base of the socket clients: the loop, its backoffs, the link state and its callback."""

    backoff: Backoff
    auth_backoff: Backoff
    stable_after: float
    state: LinkState
    reconnects: int
    _on_state: Callable[[LinkState], None] | None
    _stop: asyncio.Event
    _up: asyncio.Event  # set while the link is up (and, on 3.0, subscribed)
    _closed: bool
    _connected_at: float | None

    def _init_loop(
        self,
        on_state: Callable[[LinkState], None] | None,
        backoff: Backoff | None,
        auth_backoff: Backoff | None,
        stable_after: float,
    ) -> None:
        self._on_state, self.stable_after = on_state, stable_after
        self.backoff = backoff or Backoff(base=0.5, cap=30.0)
        self.auth_backoff = auth_backoff or Backoff(base=15.0, cap=300.0)
        self.state = LinkState.DISCONNECTED
        self.reconnects = 0
        self._stop = asyncio.Event()
        self._up = asyncio.Event()
        self._closed = False
        self._connected_at = None
        self._log = logging.getLogger(type(self).__module__)

    async def wait_connected(self, timeout: float) -> bool:  # noqa: ASYNC109 - part of the interface
        """True once connected (within ``timeout`` seconds)."""
        try:
            await asyncio.wait_for(self._up.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _session(self, session: aiohttp.ClientSession) -> None:
        raise NotImplementedError

    def _down(self) -> None:
        """The session ended: forget the link, fail what waits on it (keep AUTH_FAILED)."""
        raise NotImplementedError

    async def run(self) -> None:
        """Connect, and reconnect forever, until :meth:`close`."""
        async with aiohttp.ClientSession() as session:
            while not self._closed:
                self._set_state(LinkState.CONNECTING)
                try:
                    await self._session(session)
                    reason = "the session ended"
                except AuthenticationError as exc:
                    self._set_state(LinkState.AUTH_FAILED)
                    delay = self.auth_backoff.next_delay()
                    self._log.error("%s; retry %d in %.1f s", exc, self.auth_backoff.attempt, delay)
                    self._down()
                    await self._sleep(delay)
                    continue
                except DOWN_ERRORS as exc:
                    reason = str(exc) or type(exc).__name__
                except Exception as exc:  # a bug must not end the link for good: log, reconnect
                    self._log.exception("the PBX session failed unexpectedly")
                    reason = f"unexpected {type(exc).__name__}"
                self._down()
                if not self._closed:
                    await self._retry(reason)

    def _mark_up(self) -> None:
        """The link is up: remember when (for ``stable_after``) and say so."""
        self._connected_at = asyncio.get_running_loop().time()
        self._set_state(LinkState.CONNECTED)

    async def _retry(self, reason: str) -> None:
        now = asyncio.get_running_loop().time()
        if self._connected_at is not None and now - self._connected_at >= self.stable_after:
            self.backoff.reset()
        self._connected_at = None
        delay = self.backoff.next_delay()
        self.reconnects += 1
        self._log.warning(
            "PBX link down (%s); reconnect attempt %d in %.1f s", reason, self.backoff.attempt, delay
        )
        await self._sleep(delay)

    async def _sleep(self, delay: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), delay)
        except TimeoutError:
            pass

    def _set_state(self, state: LinkState) -> None:
        if state is self.state:
            return
        self.state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                self._log.exception("on_state callback failed")
