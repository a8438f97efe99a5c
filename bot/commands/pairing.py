"""Pairing codes: the first admin of a fresh install proves themselves with a one-time code.

Strategy: the CLI prints a random code and the store keeps only a keyed hash of it (the key is
a per-installation secret kept beside the database, so a copy of the database alone does not let
anyone try codes offline); ``/pair CODE`` redeems it once. Wrong codes are rate-limited per user
so the code cannot be guessed.
"""

from __future__ import annotations

import dataclasses
import secrets

from bot.domain import ChatCommand
from bot.ports import Store
from bot.ratelimit import SlidingWindow

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 8
DEFAULT_TTL_S = 3600.0


def normalize_code(code: str) -> str:
    """Upper-case, without spaces and dashes (people type ``abcd-efgh``)."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


async def create_pairing_code(store: Store, now: float, ttl: float = DEFAULT_TTL_S) -> str:
    """A fresh code, valid for ``ttl`` seconds; the store keeps only its keyed hash."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    await store.add_pairing_code(code, now + ttl)
    return code


class PairingThrottle:
    """At most ``max_failures`` wrong codes per user in ``window_s``; then refuse to try."""

    def __init__(self, max_failures: int = 5, window_s: float = 900.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures = SlidingWindow(window_s)

    def blocked(self, user_key: str, now: float) -> bool:
        """True while ``user_key`` has used up its wrong guesses in the window."""
        return not self._failures.allowed(user_key, now, self.max_failures)

    def failed(self, user_key: str, now: float) -> None:
        """Count a wrong code from ``user_key`` at ``now``."""
        self._failures.hit(user_key, now)


DEEP_LINK_PREFIX = "pair-"  # t.me/BOT?start=pair-CODE: Telegram sends "/start pair-CODE"


def from_deep_link(cmd: ChatCommand) -> ChatCommand:
    """``/start pair-CODE`` (a Telegram deep link ``onpbx-bot setup`` printed) is ``/pair CODE``:
    the same policy (private chat only, burnt elsewhere), throttle, redemption and audit."""
    if cmd.name != "start" or len(cmd.args) != 1 or not cmd.args[0].lower().startswith(DEEP_LINK_PREFIX):
        return cmd
    code = cmd.args[0][len(DEEP_LINK_PREFIX):]
    return dataclasses.replace(cmd, name="pair", args=(code,), text=code)
