"""SIP registration tracking: which extensions are online, and when that changed.

Pure with an injected clock. A "register" of an offline extension is a change; a registration
whose ``expires`` (plus a grace) lapses is an offline change. The first change of an extension goes
out at once and opens a flap window; further changes inside it are folded into one change (with
``flaps``) emitted when the window closes, which opens the next window.
Choice: a ``blf`` "unregistered" (or an undocumented "unregister"/"expired" state) marks the
extension offline right away, since the PBX states it explicitly.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain import RegistrationChange, SipUser
from bot.events import Registration

logger = logging.getLogger(__name__)

MAX_GRACE_S = 30.0
OFFLINE_STATES = frozenset({"unregister", "unregistered", "expired"})


@dataclass(frozen=True, slots=True)
class RegInfo:
    """What the last registration of an online extension said."""

    agent: str
    ip: str
    port: int | None
    expires_at: float  # clock seconds
    since: float  # online since (clock seconds)


@dataclass(slots=True)
class _Window:
    until: float
    held: int = 0
    last: RegistrationChange | None = None


class RegistrationTracker:
    """Feeds on ``registration`` events; ``tick`` expires lapsed ones and closes flap windows."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        grace_s: float = 30.0,
        flap_window_s: float = 300.0,
        default_expires_s: float = 3600.0,
    ) -> None:
        self._clock = clock
        self._grace = min(max(grace_s, 0.0), MAX_GRACE_S)
        self._window = max(flap_window_s, 0.0)
        self._default_expires = default_expires_s
        self._online: dict[str, RegInfo] = {}
        self._windows: dict[str, _Window] = {}

    def feed(self, reg: Registration) -> list[RegistrationChange]:
        """Apply one ``registration`` event; returns the changes to alert now."""
        state = reg.state.strip().lower()
        if not reg.uid:
            return []
        if state in OFFLINE_STATES:
            return self.unregistered(reg.uid)
        if state != "register":
            return []  # pre_register / register_attempt alone change nothing
        now = self._clock()
        expires = reg.expires if reg.expires and reg.expires > 0 else self._default_expires
        was = self._online.get(reg.uid)
        info = RegInfo(reg.agent, reg.ip, reg.port, now + expires, was.since if was else now)
        self._online[reg.uid] = info
        return [] if was is not None else self._change(reg.uid, True, now, info)

    def unregistered(self, ext: str) -> list[RegistrationChange]:
        """The PBX said the extension is gone (blf "unregistered"): offline now, if it was online."""
        info = self._online.pop(ext, None)
        return [] if info is None else self._change(ext, False, self._clock(), info)

    def tick(self, now: float) -> list[RegistrationChange]:
        """Expire registrations past ``expires`` + grace and emit folded flap changes."""
        out: list[RegistrationChange] = []
        lapsed = [ext for ext, info in self._online.items() if now > info.expires_at + self._grace]
        for ext in lapsed:
            out += self._change(ext, False, now, self._online.pop(ext))
        for ext in [ext for ext, w in self._windows.items() if now >= w.until]:
            out += self._close_window(ext, now)
        return out

    def seed(self, users: list[SipUser], now: float) -> None:
        """Phones listed by ``user_list`` at startup are online; no alert."""
        for user in users:
            if not user.uid:
                continue
            expires_at = user.exp_ms / 1000 if user.exp_ms else 0.0
            if expires_at <= now:
                expires_at = now + self._default_expires
            was = self._online.get(user.uid)
            since = was.since if was else now
            self._online[user.uid] = RegInfo(user.agent, user.ip, user.port, expires_at, since)

    def online(self) -> dict[str, RegInfo]:
        """Extension -> its registration, for every extension online now."""
        return dict(self._online)

    def _change(self, ext: str, online: bool, now: float, info: RegInfo) -> list[RegistrationChange]:
        out = self._close_window(ext, now)
        change = RegistrationChange(ext, online, round(now * 1000), info.agent, info.ip, info.port)
        window = self._windows.get(ext)
        if window is None:
            self._windows[ext] = _Window(until=now + self._window)
            logger.info("extension %s is %s", ext, "online" if online else "offline")
            return [*out, change]
        window.held += 1
        window.last = change
        return out

    def _close_window(self, ext: str, now: float) -> list[RegistrationChange]:
        """Close an elapsed window; if it held changes, emit them as one and open a new window."""
        window = self._windows.get(ext)
        if window is None or now < window.until:
            return []
        del self._windows[ext]
        if window.last is None:
            return []
        self._windows[ext] = _Window(until=now + self._window)
        logger.info("extension %s flapped %d times", ext, window.held)
        return [dataclasses.replace(window.last, flaps=window.held)]
