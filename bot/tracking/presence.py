"""Presence of extensions for ``/who``: blf lamps, registrations and names, merged on demand.

Strategy: keep only the last blf status per extension (bounded) and the last user_list names;
online/agent/ip are read live from the registration tracker, so nothing is duplicated.
"""

from __future__ import annotations

import logging

from bot.domain import ExtensionState, SipUser
from bot.events import Blf
from bot.tracking.registrations import RegistrationTracker

logger = logging.getLogger(__name__)


class Presence:
    """Implements :class:`bot.ports.PresenceView`."""

    def __init__(self, registrations: RegistrationTracker, *, max_extensions: int = 10_000) -> None:
        self._registrations = registrations
        self._max = max_extensions
        self._blf: dict[str, str] = {}
        self._names: dict[str, str] = {}

    def on_blf(self, event: Blf) -> None:
        """Remember the extension's last lamp status (unknown statuses are kept raw)."""
        if not event.uid:
            return
        if event.uid not in self._blf and len(self._blf) >= self._max:
            logger.warning("presence: too many extensions, ignoring blf of %s", event.uid)
            return
        self._blf[event.uid] = event.status

    def update_users(self, users: list[SipUser]) -> None:
        """Names from the latest ``user_list`` (replacing the previous ones)."""
        self._names = {u.uid: u.name for u in users if u.uid}

    def extension_states(self) -> dict[str, ExtensionState]:
        online = self._registrations.online()
        exts = set(self._blf) | set(online) | set(self._names)
        out: dict[str, ExtensionState] = {}
        for ext in sorted(exts, key=lambda e: (len(e), e)):
            reg = online.get(ext)
            out[ext] = ExtensionState(
                ext=ext,
                online=reg is not None,
                agent=reg.agent if reg else "",
                ip=reg.ip if reg else "",
                blf=self._blf.get(ext, ""),
                name=self._names.get(ext, ""),
            )
        return out
