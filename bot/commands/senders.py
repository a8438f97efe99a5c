"""Who sent it: commands run only for a person who typed them, and strangers cannot flood a chat.

Strategy: before the policy table, :func:`refusal` turns away forwarded messages and anonymous
senders (the adapter sets ``forwarded``/``anonymous``; the shared pseudo-accounts are known here
too, so they can never be granted a role either), and :class:`StrangerThrottle` keeps people
without a role to a few commands a minute and unknown commands in groups to one reply an hour.
"""

from __future__ import annotations

from bot.domain import ChatCommand, UserRef
from bot.i18n import register
from bot.ratelimit import SlidingWindow

#: accounts that stand for nobody in particular: Telegram's anonymous group admin
#: (@GroupAnonymousBot), the channel bot (posts "as a channel") and the service account
#: that relays channel posts into a linked discussion group
PSEUDO_USERS: frozenset[tuple[str, str]] = frozenset(
    {("telegram", "1087968824"), ("telegram", "136817688"), ("telegram", "777000")}
)
STRANGER_PER_MINUTE = 3  # commands a person without a role may send per minute; then silence
UNKNOWN_REPLY_WINDOW_S = 3600.0  # in groups, one "unknown command" reply per person per hour

register(
    {
        "senders.forwarded": ("I ignore forwarded commands: type the command yourself.",
                              "Пересланные команды я не выполняю: наберите команду сами."),
        "senders.anonymous": ("Commands need a personal account: switch off “Remain anonymous” or "
                              "write as yourself, not as the group or a channel.",
                              "Команды принимаются только от личного аккаунта: отключите «Анонимность» "
                              "или пишите от своего имени, а не от группы или канала."),
        "senders.not_personal": ("{user} is not a personal account (an anonymous admin or a channel): "
                                 "roles are given to people.",
                                 "{user} — не личный аккаунт (анонимный админ или канал): "
                                 "роли выдаются только людям."),
    }
)


def is_pseudo(platform: str, user_id: str) -> bool:
    """A shared pseudo-account or a chat id (Telegram chat ids are negative): never a person."""
    return (platform, user_id) in PSEUDO_USERS or user_id.startswith("-")


def refusal(cmd: ChatCommand) -> str | None:
    """The i18n key of the reply when ``cmd`` must not run because of who sent it, else None."""
    if cmd.forwarded:
        return "senders.forwarded"
    if cmd.anonymous or is_pseudo(cmd.user.platform, cmd.user.user_id):
        return "senders.anonymous"
    return None


def _key(user: UserRef) -> tuple[str, str]:
    return user.platform, user.user_id


class StrangerThrottle:
    """Pure bookkeeping (no clock): how much a person may make the bot say."""

    def __init__(
        self, per_minute: int = STRANGER_PER_MINUTE, unknown_window_s: float = UNKNOWN_REPLY_WINDOW_S
    ) -> None:
        self.per_minute = per_minute
        self._commands = SlidingWindow(60.0)
        self._unknown = SlidingWindow(unknown_window_s)

    def stranger_may(self, user: UserRef, now: float) -> bool:
        """Count one command of a person without a role; False once they used up the minute."""
        if not self._commands.allowed(_key(user), now, self.per_minute):
            return False
        self._commands.hit(_key(user), now)
        return True

    def unknown_reply_may(self, user: UserRef, now: float) -> bool:
        """One "unknown command" reply per person per window (in groups); False: stay silent."""
        if not self._unknown.allowed(_key(user), now, 1):
            return False
        self._unknown.hit(_key(user), now)
        return True
