"""People behind ids: an ``app_mention`` carries only a user id, and a ``<@U…>`` mention in a
command's text only an id (and maybe a name), so ``users.info`` fills in the handle and the
person's workspace (``team_id``; cached), for the core's person records and its shared-channel check."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.sender import SDK_FAILURES
from bot.domain import UserRef

logger = logging.getLogger(__name__)


class UserNames:
    """``name_of(user_id)`` -> the Slack handle (``users.info`` ``user.name``), "" if unknown;
    ``person(user_id)`` -> a :class:`UserRef` with handle and ``org`` (the Enterprise Grid id when
    there is one, else the team id), None if unknown."""

    def __init__(self, client: AsyncWebClient, limit: int = 1000) -> None:
        self._client = client
        self._limit = limit
        self._cache: dict[str, tuple[str, str]] = {}

    async def name_of(self, user_id: str) -> str:
        found = await self._lookup(user_id)
        return found[0] if found else ""

    async def person(self, user_id: str) -> UserRef | None:
        found = await self._lookup(user_id)
        if found is None:
            return None
        name, team = found
        return UserRef("slack", user_id, display=name, username=name, org=team)

    async def _lookup(self, user_id: str) -> tuple[str, str] | None:
        if user_id in self._cache:
            return self._cache[user_id]
        try:
            resp = await self._client.users_info(user=user_id)
        except SDK_FAILURES as exc:
            logger.warning("slack: users.info for %s failed: %s", user_id, type(exc).__name__)
            return None
        user = resp.get("user")
        if not isinstance(user, dict):
            return None
        grid = user.get("enterprise_user")
        enterprise = grid.get("enterprise_id") if isinstance(grid, dict) else None
        found = (str(user.get("name") or ""), str(enterprise or user.get("team_id") or ""))
        if len(self._cache) >= self._limit:
            self._cache.pop(next(iter(self._cache)))
        self._cache[user_id] = found
        return found
