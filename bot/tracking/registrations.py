"""SIP registration tracking: which extensions are online, and when that changed.

Pure with an injected clock. Each *contact* of an extension (desk phone, softphone, mobile app:
address and port, else user agent) is tracked on its own; the extension is online while any
contact is, and offline only when its last contact lapses (``expires`` + grace), unregisters
(``register`` with ``expires`` 0 removes that contact at once) or the PBX says the extension is
gone (``blf`` "unregistered"). Changes go out at once; only genuine flapping is folded: from the
``flap_changes``-th change of one extension inside ``flap_window_s``, changes are held and one
summary (with ``flaps``) goes out once the extension has been quiet for the window. After a
(re)connect, :meth:`begin_seed` makes registrations silent until :meth:`seed` applies the phone
list; an extension alerted offline that is back in the list gets its "online".
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.domain import RegistrationChange, SipUser, alert_from_dict, alert_to_dict
from bot.events import Registration

logger = logging.getLogger(__name__)

MAX_GRACE_S = 30.0
OFFLINE_STATES = frozenset({"unregister", "unregistered", "expired"})
SEED_TIMEOUT_S = 120.0  # registrations stay silent at most this long while the phone list is awaited


@dataclass(frozen=True, slots=True)
class RegInfo:
    """What the last registration of one contact said."""

    agent: str
    ip: str
    port: int | None
    expires_at: float  # clock seconds
    since: float  # the extension is online since (clock seconds)


@dataclass(slots=True)
class _Held:
    last: RegistrationChange
    count: int
    settle_at: float


def contact_of(ip: str, port: int | None, agent: str) -> str:
    """One device: its address and port, else its user agent."""
    return f"{ip}:{port or ''}" if ip else agent or "?"


class RegistrationTracker:
    """Feeds on ``registration`` events; ``tick`` expires lapsed contacts and settles flapping."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        grace_s: float = 30.0,
        flap_window_s: float = 300.0,
        default_expires_s: float = 3600.0,
        flap_changes: int = 3,
    ) -> None:
        self._clock = clock
        self._grace = min(max(grace_s, 0.0), MAX_GRACE_S)
        self._window = max(flap_window_s, 0.0)
        self._default_expires = default_expires_s
        self._flap_changes = max(flap_changes, 2)
        self._contacts: dict[str, dict[str, RegInfo]] = {}  # ext -> contact -> registration
        self._recent: dict[str, deque[float]] = {}  # ext -> times of its last changes
        self._held: dict[str, _Held] = {}
        self.offline_alerted: set[str] = set()  # extensions whose last alert said "offline"
        self.dirty = False  # state() changed since it was last read
        self._seeding_until: float | None = None

    def feed(self, reg: Registration) -> list[RegistrationChange]:
        """Apply one ``registration`` event; returns the changes to alert now."""
        state = reg.state.strip().lower()
        if not reg.uid or (state != "register" and state not in OFFLINE_STATES):
            return []  # pre_register / register_attempt alone change nothing
        now = self._clock()
        contact = contact_of(reg.ip, reg.port, reg.agent)
        if state in OFFLINE_STATES or reg.expires == 0:  # this device unregistered
            return self._remove(reg.uid, [contact], now)
        expires = reg.expires if reg.expires and reg.expires > 0 else self._default_expires
        contacts = self._contacts.get(reg.uid)
        was_online = bool(contacts)
        since = next(iter(contacts.values())).since if contacts else now
        self._contacts.setdefault(reg.uid, {})[contact] = RegInfo(
            reg.agent, reg.ip, reg.port, now + expires, since
        )
        if was_online or self._seeding(now):
            return []
        return self._change(reg.uid, True, now, self._contacts[reg.uid][contact])

    def unregistered(self, ext: str) -> list[RegistrationChange]:
        """The PBX said the extension is gone (blf "unregistered"): offline now, if it was online."""
        return self._remove(ext, list(self._contacts.get(ext, ())), self._clock())

    def tick(self, now: float) -> list[RegistrationChange]:
        """Expire contacts past ``expires`` + grace, and emit settled flapping summaries."""
        out: list[RegistrationChange] = []
        for ext, contacts in list(self._contacts.items()):
            lapsed = [c for c, info in contacts.items() if now > info.expires_at + self._grace]
            if lapsed:
                out += self._remove(ext, lapsed, now)
        for ext in [ext for ext, held in self._held.items() if now >= held.settle_at]:
            held = self._held.pop(ext)
            self._recent.pop(ext, None)
            self.dirty = True
            logger.info("extension %s settled after %d changes", ext, held.count)
            out.append(self._alerted(dataclasses.replace(held.last, flaps=held.count)))
        return out

    def begin_seed(self) -> None:
        """The link (re)connected and the phone list is on its way: registrations that arrive
        before it are taken in silently (they are refreshes, not new phones)."""
        self._seeding_until = self._clock() + SEED_TIMEOUT_S

    def seed(self, users: list[SipUser], now: float) -> list[RegistrationChange]:
        """Apply ``user_list``: listed phones are online without an alert, except an extension
        whose last alert said offline (it came back during a gap): it gets its "online"."""
        self._seeding_until = None
        out: list[RegistrationChange] = []
        for user in users:
            if not user.uid:
                continue
            expires_at = user.exp_ms / 1000 if user.exp_ms else 0.0
            if expires_at <= now:
                expires_at = now + self._default_expires
            contacts = self._contacts.setdefault(user.uid, {})
            since = next(iter(contacts.values())).since if contacts else now
            info = RegInfo(user.agent, user.ip, user.port, expires_at, since)
            contacts[contact_of(user.ip, user.port, user.agent)] = info
            if user.uid in self.offline_alerted:
                out += self._change(user.uid, True, now, info)
        return out

    def state(self) -> dict[str, Any]:
        """What must outlive a restart, JSON-safe: who was alerted offline (a seed alerts them
        back online) and the flapping bookkeeping (a restart must not unfold a flapping phone)."""
        self.dirty = False
        return {
            "offline": sorted(self.offline_alerted),
            "recent": {ext: list(times) for ext, times in self._recent.items() if times},
            "held": {ext: [alert_to_dict(h.last), h.count, h.settle_at] for ext, h in self._held.items()},
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        """Take back what :meth:`state` saved (a previous process)."""
        self.offline_alerted |= {str(ext) for ext in state.get("offline", ()) if ext not in self._contacts}
        for ext, times in dict(state.get("recent", {})).items():
            self._recent[str(ext)] = deque((float(t) for t in times), maxlen=self._flap_changes)
        for ext, (last, count, settle_at) in dict(state.get("held", {})).items():
            change = alert_from_dict(last)
            if isinstance(change, RegistrationChange):
                self._held[str(ext)] = _Held(change, int(count), float(settle_at))

    def online(self) -> dict[str, RegInfo]:
        """Extension -> its most recent registration, for every extension online now."""
        return {ext: max(c.values(), key=lambda i: i.expires_at) for ext, c in self._contacts.items() if c}

    # --- changes ------------------------------------------------------------------------------

    def _seeding(self, now: float) -> bool:
        if self._seeding_until is not None and now >= self._seeding_until:
            logger.warning("no phone list after %.0f s: registrations alert again", SEED_TIMEOUT_S)
            self._seeding_until = None
        return self._seeding_until is not None

    def _remove(self, ext: str, contacts: list[str], now: float) -> list[RegistrationChange]:
        mine = self._contacts.get(ext)
        if not mine:
            return []
        last = None
        for contact in contacts:
            last = mine.pop(contact, None) or last
        if mine or last is None:
            return []  # another device of the extension is still registered
        del self._contacts[ext]
        return self._change(ext, False, now, last)

    def _change(self, ext: str, online: bool, now: float, info: RegInfo) -> list[RegistrationChange]:
        change = RegistrationChange(ext, online, round(now * 1000), info.agent, info.ip, info.port)
        self.dirty = True
        held = self._held.get(ext)
        if held is not None:  # flapping: fold, and wait for a quiet window
            held.last, held.count, held.settle_at = change, held.count + 1, now + self._window
            return []
        recent = self._recent.setdefault(ext, deque(maxlen=self._flap_changes))
        recent.append(now)
        if self._window and len(recent) == self._flap_changes and now - recent[0] <= self._window:
            logger.info("extension %s is flapping: folding its changes", ext)
            self._held[ext] = _Held(change, 1, now + self._window)
            return []
        logger.info("extension %s is %s", ext, "online" if online else "offline")
        return [self._alerted(change)]

    def _alerted(self, change: RegistrationChange) -> RegistrationChange:
        if change.online:
            self.offline_alerted.discard(change.ext)
        else:
            self.offline_alerted.add(change.ext)
        return change
